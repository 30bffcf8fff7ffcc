import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { DiscoError, type ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { type ClusterEffect, type Op, type Principal, type Progress, type Scope, targetRef } from '../ops/op.js';

const HEARTBEAT_MS = 5000;
const ALIVE_MS = 15_000;
const SIGNATURE_WINDOW_MS = 60_000;
export const INTERNAL_OP_PATH = '/internal/v1/ops';
export const CLUSTER_HEADER = 'x-disco-cluster';

export interface InstanceInfo {
  id: string;
  url: string;
  startedAt: number;
}

/** The principal as it travels between instances (scopes as a list). */
export interface WirePrincipal extends Omit<Principal, 'scopes'> {
  scopes: Scope[];
}

/**
 * Several instances behind one load balancer. Containers live on the disk of the instance that made
 * them; Redis records where (and where each process runs), each instance heartbeats its internal URL,
 * and an op for a container elsewhere is forwarded there, signed with a key derived from the shared
 * secret. A container whose instance stopped answers `unavailable` — not lost, not a 500.
 */
export class Cluster {
  readonly self: InstanceInfo;
  private readonly key: Buffer;
  private timer: NodeJS.Timeout | undefined;
  private subscriber: Promise<Redis> | undefined;
  private readonly progressHandlers = new Map<string, (p: Progress) => void>();

  constructor(
    private readonly redis: Redis,
    sharedSecret: string,
    private readonly log: Logger,
  ) {
    this.self = { id: `ins_${randomBytes(6).toString('hex')}`, url: '', startedAt: Date.now() };
    this.key = Buffer.from(hkdfSync('sha256', sharedSecret, 'disco', 'disco cluster v1', 32));
  }

  /** Joins the registry with the URL the other instances reach this one at, and keeps heartbeating. */
  async start(url: string): Promise<void> {
    this.self.url = url;
    const beat = () =>
      this.redis
        .multi()
        .set(`instance:${this.self.id}`, JSON.stringify(this.self), 'PX', ALIVE_MS)
        .sadd('instances', this.self.id)
        .exec()
        .catch((err: Error) => this.log.warn({ err: err.message }, 'cluster heartbeat failed'));
    await beat();
    this.timer = setInterval(beat, HEARTBEAT_MS);
    this.timer.unref();
    this.log.info({ instance: this.self.id, url }, 'joined the cluster');
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.subscriber) (await this.subscriber).disconnect();
    await this.redis
      .multi()
      .del(`instance:${this.self.id}`)
      .srem('instances', this.self.id)
      .exec()
      .catch(() => {});
  }

  async instance(id: string): Promise<InstanceInfo | undefined> {
    const raw = await this.redis.get(`instance:${id}`);
    return raw ? (JSON.parse(raw) as InstanceInfo) : undefined;
  }

  /** Live instances (a member whose heartbeat lapsed is dropped from the set as it is seen). */
  async instances(): Promise<InstanceInfo[]> {
    const ids = await this.redis.smembers('instances');
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(...ids.map((id) => `instance:${id}`));
    const dead = ids.filter((_, i) => raws[i] === null);
    if (dead.length > 0) await this.redis.srem('instances', ...dead).catch(() => {});
    return raws.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as InstanceInfo);
  }

  /**
   * Where an op must run: undefined for here, or the instance that holds its container or process.
   * Throws `unavailable` when that instance is gone.
   */
  async placement(
    op: Pick<Op, 'target' | 'input'>,
    input: Record<string, unknown>,
    userId: string,
  ): Promise<InstanceInfo | undefined> {
    const ref = targetRef(op, input);
    if (ref === undefined) return undefined;
    const target = op.target === 'process' ? { process: ref } : { container: ref };
    let home: string | null = null;
    if (target.process) home = await this.redis.get(`proc-home:${target.process}`);
    else if (target.container) {
      const id = target.container.startsWith('ctr_')
        ? target.container
        : await this.redis.get(`ctr-name:${userId}:${target.container}`);
      home = id ? await this.redis.get(`ctr-home:${id}`) : null;
    }
    if (!home || home === this.self.id) return undefined;
    const where = await this.instance(home);
    if (!where) {
      throw new DiscoError(
        'unavailable',
        `${target.process ? 'process' : 'container'} '${target.process ?? target.container}' lives on instance ${home}, which is not running`,
        {
          instance: home,
        },
      );
    }
    return where;
  }

  /** Records what a local op created or deleted (its declared effect), so other instances can find it. */
  async recordLocal(effect: ClusterEffect, result: unknown, userId: string): Promise<void> {
    const r = (result ?? {}) as { id?: string; name?: string; processId?: string; running?: boolean };
    if (effect === 'container_created' && r.id) {
      await this.redis
        .multi()
        .set(`ctr-home:${r.id}`, this.self.id)
        .set(`ctr-name:${userId}:${r.name}`, r.id)
        .set(`ctr-info:${r.id}`, JSON.stringify(result))
        .sadd(`ctrs:${userId}`, r.id)
        .exec();
    } else if (effect === 'container_deleted' && r.id) {
      await this.redis
        .multi()
        .del(`ctr-home:${r.id}`, `ctr-name:${userId}:${r.name}`, `ctr-info:${r.id}`)
        .srem(`ctrs:${userId}`, r.id)
        .exec();
    } else if (effect === 'process_started' && r.processId) {
      await this.redis.set(`proc-home:${r.processId}`, this.self.id, 'PX', 7 * 86_400_000);
    }
  }

  /** Marks something (an MCP session) as served by this instance for `ttlMs`; refreshed on use. */
  claim(key: string, ttlMs: number): void {
    this.redis.set(key, this.self.id, 'PX', ttlMs).catch(() => {});
  }

  /** The live instance other than this one that claimed `key`, if any. */
  async sessionHome(key: string): Promise<InstanceInfo | undefined> {
    const home = await this.redis.get(key).catch(() => null);
    return home && home !== this.self.id ? this.instance(home) : undefined;
  }

  /** A user's containers whose instance is not running, as last recorded, marked `unavailable`. */
  async unreachableContainers(userId: string, listed: ReadonlySet<string>): Promise<Array<Record<string, unknown>>> {
    const ids = (await this.redis.smembers(`ctrs:${userId}`)).filter((id) => !listed.has(id));
    const out: Array<Record<string, unknown>> = [];
    for (const id of ids) {
      const [home, info] = await this.redis.mget(`ctr-home:${id}`, `ctr-info:${id}`);
      if (!home || !info || home === this.self.id || (await this.instance(home))) continue;
      out.push({ ...(JSON.parse(info) as Record<string, unknown>), status: 'unavailable' });
    }
    return out;
  }

  /** Calls an op on another instance for this principal; errors come back as the same typed errors. */
  async forward(
    to: InstanceInfo,
    opName: string,
    input: unknown,
    principal: Principal,
    signal?: AbortSignal,
    onProgress?: (p: Progress) => void,
  ): Promise<unknown> {
    // Progress of the forwarded call comes back over Redis pub/sub, on a channel of its own.
    const progressChannel = onProgress ? `disco:progress:${randomBytes(12).toString('base64url')}` : undefined;
    if (progressChannel && onProgress) await this.listen(progressChannel, onProgress);
    try {
      return await this.post(to, opName, input, principal, signal, progressChannel);
    } finally {
      if (progressChannel) this.progressHandlers.delete(progressChannel);
    }
  }

  /** Publishes one progress report of a forwarded call to the instance that forwarded it. */
  publishProgress(channel: string, p: Progress): void {
    this.redis.publish(channel, JSON.stringify(p)).catch(() => {});
  }

  private async listen(channel: string, handler: (p: Progress) => void): Promise<void> {
    if (!this.subscriber) {
      // A connection in subscriber mode can do nothing else: one, shared by every forwarded call.
      const sub = this.redis.duplicate({ keyPrefix: '', enableOfflineQueue: true });
      sub.on('error', () => {});
      sub.on('pmessage', (_pattern: string, ch: string, message: string) => {
        try {
          this.progressHandlers.get(ch)?.(JSON.parse(message) as Progress);
        } catch {
          // A malformed report is dropped; the call's result still arrives.
        }
      });
      this.subscriber = sub.psubscribe('disco:progress:*').then(() => sub);
    }
    await this.subscriber;
    this.progressHandlers.set(channel, handler);
  }

  private async post(
    to: InstanceInfo,
    opName: string,
    input: unknown,
    principal: Principal,
    signal: AbortSignal | undefined,
    progressChannel: string | undefined,
  ): Promise<unknown> {
    const body = JSON.stringify({
      input,
      principal: { ...principal, scopes: [...principal.scopes] },
      ...(progressChannel ? { progressChannel } : {}),
    });
    let res: Response;
    try {
      res = await fetch(`${to.url}${INTERNAL_OP_PATH}/${encodeURIComponent(opName)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [CLUSTER_HEADER]: this.sign(body) },
        body,
        ...(signal ? { signal } : {}),
      });
    } catch {
      throw new DiscoError('unavailable', `instance ${to.id} (${to.url}) did not answer`, { instance: to.id });
    }
    const json = (await res.json().catch(() => undefined)) as
      | { result?: unknown; error?: { code: ErrorCode; message: string; details?: Record<string, unknown> } }
      | undefined;
    if (!res.ok || !json || json.error) {
      const e = json?.error;
      throw new DiscoError(
        e?.code ?? 'unavailable',
        e?.message ?? `instance ${to.id} answered ${res.status}`,
        e?.details,
      );
    }
    return json.result;
  }

  /** `t=<ms>,s=<hmac>` over the timestamp and body. */
  sign(body: string, at = Date.now()): string {
    return `t=${at},s=${createHmac('sha256', this.key).update(`${at}.${body}`).digest('base64url')}`;
  }

  verify(header: string | undefined, body: string): boolean {
    const m = /^t=(\d+),s=([\w-]+)$/.exec(header ?? '');
    if (!m) return false;
    const at = Number(m[1]);
    if (Math.abs(Date.now() - at) > SIGNATURE_WINDOW_MS) return false;
    const expected = Buffer.from(this.sign(body, at));
    const got = Buffer.from(header as string);
    return expected.length === got.length && timingSafeEqual(expected, got);
  }
}

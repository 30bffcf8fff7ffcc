import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Config } from '../config.js';
import type { AuditRecord } from '../db/audit-repo.js';
import type { Logger } from '../log.js';
import { DialError, dial, splice } from './dial.js';
import { GitRelay } from './git-relay.js';
import { HttpProxySide, type Upstreams } from './http-proxy.js';
import { EgressLimiter } from './limiter.js';
import {
  type DomainRules,
  EgressPolicy,
  type EgressPolicyOptions,
  type Refusal,
  type RefusalCode,
  refuse,
} from './policy.js';
import {
  auditOf,
  auditThrottled,
  type CountedRecord,
  type EgressObserver,
  type EgressRecord,
  failedRecord,
  refusedRecord,
} from './record.js';
import { SOCKS, socksHandshake, socksReply } from './socks5.js';

export interface EgressProxyOptions extends EgressPolicyOptions {
  /** New destinations per second per container (bursts of twice that). Default 50. */
  ratePerSecond?: number;
  /** Connections open at once per container. Default 256. */
  maxConnections?: number;
  /**
   * The container's own domain lists, on top of the global ones (deny adds, allow narrows): the container
   * service's stored lists (container_create/update `egress`); absent: global lists only.
   */
  policyFor?: (containerId: string) => DomainRules | undefined;
  /** Where one row per connection goes (AuthService.audit in the daemon). */
  audit?: (entry: AuditRecord) => void;
  observer?: EgressObserver;
  log?: Logger;
  /** The first request's headers (or the SOCKS handshake) must arrive within this. Default 10 s. */
  headerTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** A tunnel or upstream without traffic either way for this long is closed. Default 5 min. */
  idleTimeoutMs?: number;
}

/**
 * The daemon's egress proxy. Each connection a container's process opens to its in-sandbox proxy port is
 * handed here; the first byte tells SOCKS5 (0x05) from HTTP (CONNECT, or a request with an absolute
 * URI). Every destination goes through EgressPolicy (resolved once, vetted, connected by address), the
 * container's rate and connection limits, and is counted (audit row + metrics) when it ends.
 */
export class EgressProxy implements Upstreams {
  observer: EgressObserver | undefined;
  readonly headerTimeoutMs: number;
  readonly idleTimeoutMs: number;
  /** Git's smart-HTTP requests to the user's GitHub host, with their token added here (never in a sandbox). */
  readonly gitRelay = new GitRelay();
  private readonly policy: EgressPolicy;
  private readonly limiter: EgressLimiter;
  private readonly http: HttpProxySide;
  private readonly conns = new Set<Duplex>();
  private readonly throttled = new Map<string, Map<string, number>>();
  private throttleTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly opts: EgressProxyOptions = {}) {
    this.policy = new EgressPolicy(opts);
    const rate = opts.ratePerSecond ?? 50;
    this.limiter = new EgressLimiter({ ratePerSecond: rate, burst: rate * 2, maxOpen: opts.maxConnections ?? 256 });
    this.observer = opts.observer;
    this.headerTimeoutMs = opts.headerTimeoutMs ?? 10_000;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 300_000;
    this.http = new HttpProxySide(this);
  }

  static fromConfig(config: Config, extra: Omit<EgressProxyOptions, keyof EgressPolicyOptions> = {}): EgressProxy {
    return new EgressProxy({
      allowDomains: config.egressAllowDomains,
      denyDomains: config.egressDenyDomains,
      allowCidrs: config.egressAllowCidrs,
      ratePerSecond: config.egressRatePerSecond,
      maxConnections: config.egressMaxConnections,
      ...extra,
    });
  }

  /** One connection from a process of container `containerId`. Never throws; the proxy owns `conn` now. */
  handle(containerId: string, conn: Duplex): void {
    conn.on('error', () => {}); // a reset client is an ordinary end; 'close' follows
    if (this.closed || !this.limiter.open(containerId)) {
      this.throttle(containerId, 'too_many_connections');
      conn.destroy();
      return;
    }
    this.conns.add(conn);
    conn.once('close', () => {
      this.conns.delete(conn);
      this.limiter.close(containerId);
    });
    const timer = setTimeout(() => conn.destroy(), this.headerTimeoutMs);
    conn.once('close', () => clearTimeout(timer));
    conn.once('data', (first: Buffer) => {
      conn.pause();
      if (first[0] === 0x05) {
        void this.socks(containerId, conn, first, timer);
        return;
      }
      clearTimeout(timer); // the HTTP side keeps its own header timer, re-armed between requests
      conn.unshift(first);
      this.http.serve(containerId, conn);
    });
    conn.resume(); // whoever handed it over may have paused it after reading its own first line
  }

  private async socks(containerId: string, conn: Duplex, first: Buffer, timer: NodeJS.Timeout): Promise<void> {
    const startedAt = performance.now();
    const req = await socksHandshake(conn, first);
    clearTimeout(timer);
    if (!req) return void conn.end();
    const base = { containerId, protocol: 'socks5' as const, host: req.host, port: req.port };
    const r = await this.open(containerId, req.host, req.port);
    if (!r.ok) {
      if ('code' in r) {
        this.record(refusedRecord(base, r.code, r.reason, startedAt));
        socksReply(conn, SOCKS.notAllowed);
      } else {
        this.record(failedRecord(base, r.error, startedAt));
        socksReply(conn, socksCodeOf(r.error.code));
      }
      return void conn.end();
    }
    const { socket } = r;
    if (conn.destroyed) return void socket.destroy();
    socksReply(conn, SOCKS.ok);
    if (req.rest.length > 0) socket.write(req.rest);
    splice(conn, socket, this.idleTimeoutMs, () =>
      this.record({
        ...base,
        address: r.address,
        bytesUp: socket.bytesWritten,
        bytesDown: socket.bytesRead,
        outcome: 'ok',
        startedAt,
      }),
    );
  }

  /** Rate limit, policy, connect: the one path every protocol takes to the outside. */
  async open(
    containerId: string,
    host: string,
    port: number,
  ): Promise<{ ok: true; socket: net.Socket; address: string } | Refusal | { ok: false; error: DialError }> {
    if (this.closed) return refuse('too_many_connections', 'the egress proxy is shutting down');
    if (!this.limiter.take(containerId)) {
      this.throttle(containerId, 'rate_limited');
      return refuse('rate_limited', 'too many new connections: slow down');
    }
    const decision = await this.policy.decide(host, port, this.opts.policyFor?.(containerId));
    if (!decision.ok) return decision;
    try {
      const socket = await dial(decision.addresses, port, this.opts.connectTimeoutMs ?? 10_000);
      if (this.closed) {
        socket.destroy();
        return refuse('too_many_connections', 'the egress proxy is shutting down');
      }
      return { ok: true, socket, address: socket.remoteAddress ?? '' };
    } catch (err) {
      return { ok: false, error: err instanceof DialError ? err : new DialError('ECONNFAILED', '') };
    }
  }

  record(r: CountedRecord): void {
    const { startedAt, ...rest } = r;
    const rec: EgressRecord = { ...rest, durationMs: performance.now() - startedAt };
    if (rec.code === undefined) delete rec.code;
    if (rec.code === 'rate_limited' || rec.code === 'too_many_connections') return; // summed by throttle()
    try {
      this.observer?.egressDone(rec);
      this.opts.audit?.(auditOf(rec));
    } catch (err) {
      this.opts.log?.warn({ err, containerId: rec.containerId }, 'cannot record an egress connection');
    }
  }

  /** Throttled attempts are summed per container and written as one audit row a minute. */
  private throttle(containerId: string, code: RefusalCode): void {
    this.observer?.egressThrottled(containerId, code);
    const counts = this.throttled.get(containerId) ?? new Map<string, number>();
    this.throttled.set(containerId, counts);
    counts.set(code, (counts.get(code) ?? 0) + 1);
    if (!this.throttleTimer) {
      this.throttleTimer = setTimeout(() => this.flushThrottled(), 60_000);
      this.throttleTimer.unref();
    }
  }

  /** Writes the pending throttle summaries now (also on close). */
  flushThrottled(): void {
    clearTimeout(this.throttleTimer);
    this.throttleTimer = undefined;
    for (const [containerId, counts] of this.throttled) {
      try {
        this.opts.audit?.(auditThrottled(containerId, counts));
      } catch (err) {
        this.opts.log?.warn({ err, containerId }, 'cannot record egress throttling');
      }
    }
    this.throttled.clear();
  }

  /** Refuses `port` on every address of this host, whatever the allow-CIDRs say (the daemon's listeners). */
  protectPort(port: number): void {
    this.policy.protectPort(port);
  }

  /** Connections of this container open now (client side). */
  openConnections(containerId: string): number {
    return this.limiter.openCount(containerId);
  }

  /** Ends every connection and refuses new ones (daemon shutdown). */
  close(): void {
    this.closed = true;
    for (const c of this.conns) c.destroy();
    this.flushThrottled();
  }
}

function socksCodeOf(code: string): number {
  if (code === 'ECONNREFUSED') return SOCKS.connectionRefused;
  if (code === 'ETIMEDOUT') return SOCKS.ttlExpired;
  if (code === 'ENETUNREACH') return SOCKS.networkUnreachable;
  if (code === 'EHOSTUNREACH') return SOCKS.hostUnreachable;
  return SOCKS.failure;
}

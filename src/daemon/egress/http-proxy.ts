import http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { type DialError, splice } from './dial.js';
import { GIT_RELAY_HOST, type GitRelay } from './git-relay.js';
import type { Refusal } from './policy.js';
import { type CountedRecord, type EgressRecord, failedRecord, refusedRecord } from './record.js';

/** What the HTTP side needs from the proxy: one vetted, counted upstream connection per destination. */
export interface Upstreams {
  open(
    containerId: string,
    host: string,
    port: number,
  ): Promise<{ ok: true; socket: net.Socket; address: string } | Refusal | { ok: false; error: DialError }>;
  record(r: CountedRecord): void;
  readonly headerTimeoutMs: number;
  readonly idleTimeoutMs: number;
  /** Requests to GIT_RELAY_HOST go to the daemon's git relay (git-relay.ts), never out. */
  readonly gitRelay?: GitRelay;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) and the proxy's own; Transfer-Encoding stays so Node re-chunks. */
const HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'upgrade',
]);

/** `raw` without hop-by-hop headers and those `connection` names (comma-separated). */
function endToEnd(raw: string[], connection: string | string[] | undefined): string[] {
  const listed = new Set(
    String(connection ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase()),
  );
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (!HOP.has(name) && !listed.has(name)) out.push(raw[i] as string, raw[i + 1] as string);
  }
  return out;
}

/** A one-line plain-text answer (403 refusals, 400 bad requests, 502 unreachable): never a stack. */
export function plainAnswer(status: number, message: string): string {
  const body = `${message.replace(/[\r\n]+/g, ' ')}\n`;
  return `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

export function refusalStatus(r: Refusal): number {
  return r.code === 'rate_limited' || r.code === 'too_many_connections'
    ? 429
    : r.code === 'bad_destination'
      ? 400
      : 403;
}

/** `host:port` of a CONNECT request (`[v6]:port` for IPv6); undefined when malformed. */
export function parseAuthority(authority: string): { host: string; port: number } | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]/@\s]+):(\d{1,5})$/.exec(authority);
  if (!m) return undefined;
  return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/**
 * The HTTP proxy side: CONNECT tunnels and absolute-URI requests forwarded one upstream connection per
 * request, bodies streamed both ways (chunked or not), client keep-alive kept. Node's parser reads the
 * connections handed to it; it never listens itself.
 */
export class HttpProxySide {
  private readonly server: http.Server;
  private readonly owner = new WeakMap<Duplex, { containerId: string; inflight: number; timer?: NodeJS.Timeout }>();

  constructor(private readonly up: Upstreams) {
    this.server = http.createServer({ requestTimeout: 0, keepAliveTimeout: 5_000, maxHeaderSize: 32 * 1024 });
    this.server.on('request', (req, res) => this.forward(req, res));
    this.server.on('connect', (req: http.IncomingMessage, socket: Duplex, head: Buffer) =>
      this.tunnel(req, socket, head),
    );
    this.server.on('clientError', (_err, socket: Duplex) => {
      if (socket.writable) socket.end(plainAnswer(400, 'bad proxy request'));
      else socket.destroy();
    });
  }

  /** Takes over a connection whose first bytes (already unshifted) are not SOCKS. */
  serve(containerId: string, conn: Duplex): void {
    const state = { containerId, inflight: 0 } as { containerId: string; inflight: number; timer?: NodeJS.Timeout };
    this.owner.set(conn, state);
    this.arm(conn);
    conn.once('close', () => clearTimeout(state.timer));
    this.server.emit('connection', conn);
    conn.resume();
  }

  /** Waiting for a request's headers: a client that sends none in time (slowloris, half-open) is dropped. */
  private arm(conn: Duplex): void {
    const state = this.owner.get(conn);
    if (!state) return;
    clearTimeout(state.timer);
    state.timer = setTimeout(() => conn.destroy(), this.up.headerTimeoutMs);
  }

  private begin(conn: Duplex) {
    const state = this.owner.get(conn);
    if (state) {
      clearTimeout(state.timer);
      state.inflight++;
    }
    return state;
  }

  private async tunnel(req: http.IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
    const state = this.begin(client);
    if (!state) return void client.destroy();
    const startedAt = performance.now();
    const target = parseAuthority(req.url ?? '');
    if (!target) return void client.end(plainAnswer(400, 'CONNECT needs host:port'));
    const base = { containerId: state.containerId, protocol: 'connect' as const, host: target.host, port: target.port };
    const r = await this.up.open(state.containerId, target.host, target.port);
    if (!r.ok) {
      const status = 'error' in r ? 502 : refusalStatus(r);
      const reason = 'error' in r ? r.error.message : r.reason;
      this.up.record(
        'code' in r ? refusedRecord(base, r.code, reason, startedAt) : failedRecord(base, r.error, startedAt),
      );
      return void client.end(plainAnswer(status, reason));
    }
    const { socket } = r;
    if (client.destroyed) {
      socket.destroy();
      return;
    }
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) socket.write(head);
    splice(client, socket, this.up.idleTimeoutMs, () =>
      this.up.record({
        ...base,
        address: r.address,
        bytesUp: socket.bytesWritten,
        bytesDown: socket.bytesRead,
        outcome: 'ok',
        startedAt,
      }),
    );
  }

  private async forward(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const conn = req.socket as Duplex;
    const state = this.begin(conn);
    const done = () => {
      if (!state) return;
      state.inflight--;
      if (state.inflight === 0 && !conn.destroyed) this.arm(conn);
    };
    res.once('close', done);
    if (!state) return void res.destroy();
    const startedAt = performance.now();
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      return this.answer(res, 400, 'this is a proxy: send absolute http:// URLs, or CONNECT host:port');
    }
    if (url.protocol !== 'http:')
      return this.answer(res, 400, 'only http:// URLs are forwarded; use CONNECT for https');
    if (url.hostname === GIT_RELAY_HOST) {
      if (this.up.gitRelay)
        return void this.up.gitRelay.handle(state.containerId, url, req, res, (r) => this.up.record(r));
      return this.answer(res, 403, 'no git relay here');
    }
    const port = url.port ? Number(url.port) : 80;
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const base = { containerId: state.containerId, protocol: 'http' as const, host, port };
    const r = await this.up.open(state.containerId, host, port);
    if (!r.ok) {
      if ('code' in r) {
        this.up.record(refusedRecord(base, r.code, r.reason, startedAt));
        return this.answer(res, refusalStatus(r), r.reason);
      }
      this.up.record(failedRecord(base, r.error, startedAt));
      return this.answer(res, 502, r.error.message);
    }
    const { socket } = r;
    socket.setTimeout(this.up.idleTimeoutMs, () => socket.destroy());
    let outcome: EgressRecord['outcome'] = 'ok';
    let code: string | undefined;
    socket.once('close', () =>
      this.up.record({
        ...base,
        address: r.address,
        bytesUp: socket.bytesWritten,
        bytesDown: socket.bytesRead,
        outcome,
        code,
        startedAt,
      }),
    );
    // RFC 9112 §3.2.2: with an absolute URI, its authority is the Host (whatever Host header came along).
    const headers = ['Host', url.host, ...endToEnd(req.rawHeaders, `${req.headers.connection ?? ''},host`)];
    const upReq = http.request({
      createConnection: () => socket,
      method: req.method,
      path: `${url.pathname}${url.search}`,
      headers,
      setHost: false,
    });
    upReq.on('response', (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, endToEnd(upRes.rawHeaders, upRes.headers.connection));
      upRes.pipe(res);
      upRes.on('error', () => res.destroy());
      upRes.on('end', () => socket.destroy()); // one upstream connection per request: it is counted as one
    });
    upReq.on('error', (err: NodeJS.ErrnoException) => {
      outcome = 'error';
      code = err.code ?? 'ECONNRESET';
      socket.destroy();
      if (!res.headersSent) this.answer(res, 502, `upstream failed: ${code}`);
      else res.destroy();
    });
    res.once('close', () => {
      if (!res.writableFinished) socket.destroy();
    });
    req.pipe(upReq);
  }

  private answer(res: http.ServerResponse, status: number, message: string): void {
    if (res.headersSent) return void res.destroy();
    const body = `${message.replace(/[\r\n]+/g, ' ')}\n`;
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }
}

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ContainerRow } from '../db/containers-repo.js';
import { DiscoError, NotFoundError, UnauthorizedError, ValidationError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ContainerNet } from '../sandbox/container-net.js';
import { downstreamHeaders, PREVIEW_COOKIE, previewCookie, upgradeHead, upstreamHeaders } from './headers.js';
import { refuseUpgrade, sendPreviewError } from './pages.js';
import { hostRoute, type PreviewRoute, pathRoute, validPort } from './route.js';
import { LINK_PARAM, type PreviewService, SESSION_TTL_MS, SHARE_PARAM } from './service.js';

export interface PreviewProxyDeps {
  net: ContainerNet;
  previews: PreviewService;
  /** The container row (owner, status), or undefined when there is none. */
  container: (id: string) => ContainerRow | undefined;
  /** Marks the container used (throttled by the callee): someone is looking at what it serves. */
  used: (c: ContainerRow) => void;
  /** The daemon's Host check (DNS rebinding) for the path form, which is served on the daemon's own host. */
  hostGuard: (req: IncomingMessage) => DiscoError | undefined;
  /** 'https' when the browser came over TLS (directly or through a trusted proxy). */
  protoOf: (req: IncomingMessage) => 'http' | 'https';
  log: Logger;
}

const MAX_AGENTS = 256;
/** How often an open WebSocket (or other upgrade) checks that what admitted it still would. */
const TUNNEL_RECHECK_MS = 2_000;

/** Keep-alive connections to one port of one container, dialled through its ContainerNet. */
class PortAgent extends http.Agent {
  constructor(private readonly dial: () => Promise<Duplex>) {
    super({ keepAlive: true, maxSockets: 128, maxFreeSockets: 32, timeout: 4_000 });
  }

  override createConnection(
    _options: http.ClientRequestArgs,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    this.dial().then(
      (s) => callback?.(null, s),
      (err: Error) => callback?.(err, undefined as unknown as Duplex),
    );
    return undefined;
  }
}

/**
 * The authenticated reverse proxy in front of what containers serve, in both forms: the path form on the
 * daemon and the host form on the preview domain. Access is the preview cookie (set by a preview_open link
 * or a share link), never a bearer token; HTTP streams through pooled keep-alive connections, WebSocket
 * upgrades are piped both ways.
 */
export class PreviewProxy {
  private readonly agents = new Map<string, PortAgent>();
  /**
   * Upgraded connections (the HTTP server no longer tracks them), with what admitted them: ended with the
   * daemon, and when what admitted them no longer would (TUNNEL_RECHECK_MS).
   */
  private readonly tunnels = new Map<Duplex, { containerId: string; port: number; token: string | undefined }>();
  private readonly recheck: NodeJS.Timeout;

  constructor(private readonly deps: PreviewProxyDeps) {
    this.recheck = setInterval(() => this.recheckTunnels(), TUNNEL_RECHECK_MS);
    this.recheck.unref();
  }

  /**
   * Security: an upgraded connection was admitted once, at its upgrade; a share revoked (or a cookie expired,
   * a container deleted) since must end it too, not leave a WebSocket to the app open for good.
   */
  private recheckTunnels(): void {
    for (const [socket, t] of this.tunnels) {
      const grant = this.deps.previews.check(t.token, t.containerId, t.port);
      const c = this.deps.container(t.containerId);
      if (!grant || !c || c.ownerId !== grant.ownerId || c.status === 'deleting') socket.destroy();
    }
  }

  /** The preview a request is for, or undefined when it is the daemon's. */
  match(req: IncomingMessage): PreviewRoute | undefined {
    return hostRoute(req, this.deps.previews.domain) ?? pathRoute(req);
  }

  /** Checks everything but the upstream; returns the route's grant owner or throws a typed error. */
  private admit(req: IncomingMessage, route: PreviewRoute, token: string | undefined): void {
    if (route.mode === 'path') {
      const hostError = this.deps.hostGuard(req);
      if (hostError) throw hostError;
    }
    if (!validPort(route.port)) throw new ValidationError('port must be between 1 and 65535', { port: route.port });
    const grant = this.deps.previews.check(token, route.containerId, route.port);
    if (!grant) throw new UnauthorizedError('no valid preview cookie or share link for this preview');
    const c = this.deps.container(route.containerId);
    if (!c || c.ownerId !== grant.ownerId || c.status === 'deleting') {
      throw new NotFoundError(`container '${route.containerId}'`, { container: route.containerId });
    }
    if (c.status === 'stopped') {
      throw new DiscoError('conflict', 'the container is stopped; start a command in it first', {
        container: route.containerId,
      });
    }
    this.deps.used(c);
  }

  /** Containers with a preview WebSocket open (a page with live reload someone has open): in use. */
  openContainers(): Set<string> {
    return new Set([...this.tunnels.values()].map((t) => t.containerId));
  }

  handle(req: IncomingMessage, res: ServerResponse, route: PreviewRoute): void {
    try {
      if (this.redeem(req, res, route)) return;
      this.admit(req, route, previewCookie(req.headers.cookie));
      this.forward(req, res, route);
    } catch (err) {
      sendPreviewError(res, err, req.headers.accept);
    }
  }

  /** A link or share token in the query: set the cookie and redirect to the same URL without it. */
  private redeem(req: IncomingMessage, res: ServerResponse, route: PreviewRoute): boolean {
    if (route.mode === 'path') {
      const hostError = this.deps.hostGuard(req);
      if (hostError) throw hostError;
    }
    if (route.needsSlash && validPort(route.port)) {
      res.writeHead(308, { Location: `${route.prefix}/${route.upstreamPath.slice(1)}`, 'Cache-Control': 'no-store' });
      res.end();
      return true;
    }
    const q = route.upstreamPath.indexOf('?');
    if (q < 0) return false;
    const params = new URLSearchParams(route.upstreamPath.slice(q + 1));
    const link = params.get(LINK_PARAM);
    const share = params.get(SHARE_PARAM);
    if (link === null && share === null) return false;
    if (!validPort(route.port)) throw new ValidationError('port must be between 1 and 65535', { port: route.port });
    let cookie: string;
    let maxAgeMs: number;
    if (link !== null) {
      const redeemed = this.deps.previews.redeemLink(link);
      if (!redeemed || redeemed.grant.containerId !== route.containerId || redeemed.grant.port !== route.port) {
        throw new UnauthorizedError('this preview link is expired, already used or for another preview');
      }
      cookie = redeemed.cookie;
      maxAgeMs = SESSION_TTL_MS;
    } else {
      const g = this.deps.previews.check(share ?? '', route.containerId, route.port);
      if (g?.kind !== 'share') throw new UnauthorizedError('this share link is revoked, expired or unknown');
      cookie = share ?? '';
      maxAgeMs = g.expiresAt - Date.now();
    }
    params.delete(LINK_PARAM);
    params.delete(SHARE_PARAM);
    const rest = params.toString();
    const path = route.upstreamPath.slice(0, q);
    res.writeHead(303, {
      Location: `${route.prefix}${path}${rest ? `?${rest}` : ''}`,
      'Set-Cookie': this.cookie(req, route, cookie, maxAgeMs),
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
    });
    res.end();
    return true;
  }

  /**
   * HttpOnly, host-only, SameSite=Lax (a cross-site page, a WebSocket from one included, never carries it);
   * Secure over https. Host mode: the whole preview origin. Path mode: the preview's prefix only.
   */
  private cookie(req: IncomingMessage, route: PreviewRoute, value: string, maxAgeMs: number): string {
    const attrs = [`${PREVIEW_COOKIE}=${value}`, `Max-Age=${Math.max(0, Math.floor(maxAgeMs / 1000))}`, 'HttpOnly'];
    attrs.push(route.mode === 'host' ? 'Path=/' : `Path=${route.prefix}/`, 'SameSite=Lax');
    if (this.deps.protoOf(req) === 'https') attrs.push('Secure');
    return attrs.join('; ');
  }

  private agent(containerId: string, port: number): PortAgent {
    const key = `${containerId}:${port}`;
    let agent = this.agents.get(key);
    if (!agent) {
      if (this.agents.size >= MAX_AGENTS) {
        const [oldKey, old] = this.agents.entries().next().value as [string, PortAgent];
        old.destroy();
        this.agents.delete(oldKey);
      }
      agent = new PortAgent(() => this.deps.net.connect(containerId, port));
      this.agents.set(key, agent);
    }
    return agent;
  }

  private forward(req: IncomingMessage, res: ServerResponse, route: PreviewRoute): void {
    const upstream = http.request({
      agent: this.agent(route.containerId, route.port),
      method: req.method,
      path: route.upstreamPath,
      headers: upstreamHeaders(req, route, this.deps.protoOf(req)),
    });
    upstream.on('response', (up) => {
      res.writeHead(up.statusCode ?? 502, up.statusMessage, downstreamHeaders(up.headers, route));
      up.pipe(res);
      up.on('error', () => res.destroy());
    });
    upstream.on('error', (err) => {
      if (err instanceof DiscoError) return sendPreviewError(res, err, req.headers.accept);
      this.deps.log.debug({ err, container: route.containerId, port: route.port }, 'preview upstream failed');
      sendPreviewError(res, new DiscoError('unavailable', 'the app closed the connection'), req.headers.accept);
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    // Perf: a request without a body is sent at once (piping would wait a turn for its end).
    if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) upstream.end();
    else req.pipe(upstream);
  }

  /** A WebSocket (or other) upgrade on a preview: same access rules, then raw bytes both ways. */
  async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, route: PreviewRoute): Promise<void> {
    socket.on('error', () => socket.destroy());
    let upstream: Duplex;
    const token = previewCookie(req.headers.cookie);
    try {
      this.admit(req, route, token);
      upstream = await this.deps.net.connect(route.containerId, route.port);
    } catch (err) {
      refuseUpgrade(socket, err);
      return;
    }
    upstream.on('error', () => socket.destroy());
    this.tunnels.set(socket, { containerId: route.containerId, port: route.port, token });
    socket.on('close', () => {
      this.tunnels.delete(socket);
      upstream.destroy();
    });
    upstream.on('close', () => socket.destroy());
    upstream.write(upgradeHead(req, route, this.deps.protoOf(req)));
    if (head.length) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  }

  /** Drops pooled connections of a container (stopped or deleted). */
  dropContainer(containerId: string): void {
    for (const [key, agent] of this.agents) {
      if (key.startsWith(`${containerId}:`)) {
        agent.destroy();
        this.agents.delete(key);
      }
    }
  }

  close(): void {
    clearInterval(this.recheck);
    for (const s of this.tunnels.keys()) s.destroy();
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}

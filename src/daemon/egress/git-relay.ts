import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { type CountedRecord, refusedRecord } from './record.js';

/** Where the relay counts each request (the egress proxy's audit and metrics). */
export type RelayRecorder = (r: CountedRecord) => void;

/**
 * The name git inside a sandbox uses for the daemon's git relay. `.invalid` never resolves (RFC 6761), so
 * it can only mean this relay, reached through the egress proxy (the container's HTTP_PROXY).
 */
export const GIT_RELAY_HOST = 'git-relay.disco.invalid';

interface Grant {
  containerId: string;
  /** The real remote's prefix, e.g. `https://github.com/` (the operator's DISCO_GITHUB_URL). */
  prefix: string;
  authorization: string;
  /** Repository paths this op may reach (`/owner/name`, without `.git`). */
  repos: Set<string>;
  /** Whether git-receive-pack is allowed (push); fetches only get upload-pack. */
  push: boolean;
}

/** `/owner/name.git/` → `/owner/name`: GitHub serves a repository under both spellings. */
const repoKey = (p: string) => p.replace(/\/+$/, '').replace(/\.git$/, '');

/** Headers git sends that the remote needs; anything else (cookies, proxy headers, Authorization) is dropped. */
const REQUEST_HEADERS = [
  'accept',
  'accept-encoding',
  'accept-language',
  'content-type',
  'content-encoding',
  'content-length',
  'git-protocol',
  'user-agent',
];
const RESPONSE_HEADERS = [
  'content-type',
  'content-encoding',
  'content-length',
  'cache-control',
  'expires',
  'pragma',
  'location',
  'www-authenticate',
];

function pick(headers: http.IncomingHttpHeaders, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = headers[n];
    if (typeof v === 'string') out[n] = v;
  }
  return out;
}

/**
 * Security: the user's GitHub token never enters a sandbox. Git in a container's sandbox talks plain HTTP
 * to `http://git-relay.disco.invalid/<tag>/…` (the daemon's own `-c url.<that>.insteadOf=<real prefix>`),
 * through the egress proxy, which hands those requests here. The relay forwards them to the real remote
 * with the Authorization header added, and only: a tag granted to this container for one git op (random,
 * revoked when the op ends), smart-HTTP requests (`info/refs`, `git-upload-pack`, `git-receive-pack` only
 * for a push) of exactly the repositories the op names, on the configured GitHub host. Redirects are
 * passed back to git, never followed here (git's next request carries no token).
 */
export class GitRelay {
  private readonly grants = new Map<string, Grant>();

  /** Opens a grant for one git op; `close` revokes it. `base` replaces `prefix` in git's URLs. */
  grant(
    containerId: string,
    opts: { prefix: string; token: string; urls: readonly string[]; push: boolean },
  ): { base: string; close: () => void } {
    const tag = randomBytes(24).toString('base64url');
    const repos = new Set(
      opts.urls.filter((u) => u.startsWith(opts.prefix)).map((u) => repoKey(`/${u.slice(opts.prefix.length)}`)),
    );
    const basic = Buffer.from(`x-access-token:${opts.token}`).toString('base64');
    this.grants.set(tag, {
      containerId,
      prefix: opts.prefix,
      authorization: `Basic ${basic}`,
      repos,
      push: opts.push,
    });
    return { base: `http://${GIT_RELAY_HOST}/${tag}/`, close: () => this.grants.delete(tag) };
  }

  /** One request to GIT_RELAY_HOST from a process of `containerId` (absolute URI already parsed). */
  handle(
    containerId: string,
    url: URL,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    record: RelayRecorder = () => {},
  ): void {
    const startedAt = performance.now();
    const deny = (status: number, message: string) => {
      record(
        refusedRecord(
          { containerId, protocol: 'http', host: GIT_RELAY_HOST, port: 80 },
          'git_relay',
          message,
          startedAt,
        ),
      );
      const body = `${message}\n`;
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    const m = /^\/([A-Za-z0-9_-]{32})(\/[^%?#]*)$/.exec(url.pathname);
    const grant = m ? this.grants.get(m[1] as string) : undefined;
    if (!m || !grant || grant.containerId !== containerId) return void deny(403, 'no such git relay grant');
    const rest = m[2] as string;
    const op = /^(\/.+?)\/(info\/refs|git-upload-pack|git-receive-pack)$/.exec(rest);
    if (!op || rest.includes('//') || !grant.repos.has(repoKey(op[1] as string)))
      return void deny(403, 'the git relay only reaches the repository of the git op');
    const what = op[2] as string;
    const service = what === 'info/refs' ? url.searchParams.get('service') : what;
    const method = what === 'info/refs' ? 'GET' : 'POST';
    if (req.method !== method || (service !== 'git-upload-pack' && service !== 'git-receive-pack'))
      return void deny(403, 'not a smart-HTTP git request');
    if (service === 'git-receive-pack' && !grant.push) return void deny(403, 'this git op does not push');
    const target = new URL(`${grant.prefix}${rest.slice(1)}${what === 'info/refs' ? `?service=${service}` : ''}`);
    const mod = target.protocol === 'https:' ? https : http;
    const upReq = mod.request(target, {
      method,
      headers: { ...pick(req.headers, REQUEST_HEADERS), authorization: grant.authorization },
    });
    upReq.setTimeout(300_000, () => upReq.destroy(new Error('timeout')));
    let bytesUp = 0;
    let bytesDown = 0;
    let failed: string | undefined;
    req.on('data', (c: Buffer) => {
      bytesUp += c.length;
    });
    upReq.on('response', (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, pick(upRes.headers, RESPONSE_HEADERS));
      upRes.on('data', (c: Buffer) => {
        bytesDown += c.length;
      });
      upRes.pipe(res);
      upRes.on('error', () => res.destroy());
    });
    upReq.on('error', (err: NodeJS.ErrnoException) => {
      failed = err.code ?? 'ECONNRESET';
      if (!res.headersSent) {
        const body = 'the git remote is unreachable\n';
        res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      } else res.destroy();
    });
    res.once('close', () => {
      if (!res.writableFinished) upReq.destroy();
      record({
        containerId,
        protocol: 'http',
        host: target.hostname,
        port: Number(target.port) || (target.protocol === 'https:' ? 443 : 80),
        address: upReq.socket?.remoteAddress ?? null,
        bytesUp,
        bytesDown,
        outcome: failed ? 'error' : 'ok',
        ...(failed ? { code: failed } : {}),
        reason: `git relay ${service}`,
        startedAt,
      });
    });
    req.pipe(upReq);
  }
}

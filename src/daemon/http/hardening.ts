import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit, type Store } from 'express-rate-limit';
import helmet from 'helmet';
import type { Redis } from 'ioredis';
import { RedisStore } from 'rate-limit-redis';
import type { Config } from '../config.js';
import { DiscoError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Principal } from '../ops/op.js';
import { memoryLimiter } from './memory-limiter.js';

/**
 * Security headers on every response. Pages are few (Swagger UI, the sign-in page, which sets its own
 * stricter CSP); `frame-ancestors` admits ChatGPT (configurable) so its UI can embed Disco's pages.
 */
export function securityHeaders(config: Pick<Config, 'frameAncestors'>): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        // Swagger UI sets style attributes; scripts stay strict.
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
        'connect-src': ["'self'"],
        'font-src': ["'self'"],
        'object-src': ["'none'"],
        'base-uri': ["'none'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'self'", ...config.frameAncestors],
      },
    },
    // frame-ancestors decides framing; X-Frame-Options cannot express "ChatGPT too", so it is left out.
    xFrameOptions: false,
    crossOriginResourcePolicy: { policy: 'same-site' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    strictTransportSecurity: { maxAge: 15_552_000, includeSubDomains: false },
    referrerPolicy: { policy: 'no-referrer' },
  });
}

/**
 * The headers `securityHeaders` sets, computed once by running it against a recording response: they depend
 * on the configuration only (no directive is a function of the request). Perf: setting a fixed list costs
 * a loop, where helmet runs a dozen chained middlewares per request.
 */
export function securityHeaderList(config: Pick<Config, 'frameAncestors'>): Array<readonly [string, string]> {
  const headers = new Map<string, readonly [string, string]>();
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.set(name.toLowerCase(), [name, Array.isArray(value) ? value.join(', ') : String(value)]);
      return recorder;
    },
    removeHeader(name: string) {
      headers.delete(name.toLowerCase());
    },
  };
  let done = false;
  securityHeaders(config)({} as Request, recorder as unknown as Response, (err?: unknown) => {
    if (err) throw err;
    done = true;
  });
  // helmet answers synchronously; if a version ever did not, its headers would be missing: fail loudly.
  if (!done) throw new Error('security headers: helmet did not finish synchronously');
  headers.set('x-content-type-options', ['X-Content-Type-Options', 'nosniff']);
  return [...headers.values()];
}

/**
 * The headers of API responses (`/api/v1` but its sign-in routes, and `/mcp`): JSON, events and images for
 * programs, which no browser shows as a page (the API takes bearer tokens, never cookies, so a navigation
 * cannot reach it signed in). They carry what protects such a response (OWASP's REST set): a CSP that lets
 * nothing load or frame it should it be opened, nosniff, HSTS, and a resource policy that keeps other sites
 * from embedding it. The page-only headers (opener policy, origin agent cluster, DNS prefetch, IE's download
 * and XSS switches, Flash's cross-domain policy) stay on pages. Perf: seven headers fewer on every API
 * answer, to write and for every client to parse (~20 µs of a small read).
 */
export const API_SECURITY_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
  ['Cross-Origin-Resource-Policy', 'same-site'],
  ['Strict-Transport-Security', 'max-age=15552000'],
  ['X-Content-Type-Options', 'nosniff'],
];

/** Whether a request URL is an API one (see API_SECURITY_HEADERS); express matches paths case-insensitively. */
export function isApiUrl(url: string): boolean {
  const p = url.slice(0, 12).toLowerCase();
  if (p.startsWith('/mcp')) return p.length === 4 || p[4] === '/' || p[4] === '?';
  return p.startsWith('/api/v1/') && !p.startsWith('/api/v1/auth');
}

export type LimiterStoreFactory = (prefix: string) => Store | undefined;

/**
 * Rate limits: per IP before authentication, per user after it, and a strict per-IP budget on sign-in
 * and token endpoints. Over the limit: 429 with `Retry-After` and the usual error body. Counters live in
 * memory, or in a shared store (Redis) when one is given, so several instances share them.
 */
export function rateLimiters(
  config: Pick<Config, 'rateLimitPerMinute' | 'authRateLimitPerMinute'>,
  store: LimiterStoreFactory = () => undefined,
  log?: Logger,
) {
  const handler = (message: string) => (_req: unknown, res: Response) => {
    const err = new DiscoError('rate_limited', message);
    res.locals.errorCode = err.code;
    res.status(429).json(err.toBody());
  };
  // The library's own messages (a store that is down, say) go to our log, throttled to one line a minute.
  let lastWarn = 0;
  const logger = {
    warn: (...args: unknown[]) => log?.warn({ detail: String(args[0]) }, 'rate limiter'),
    error: (...args: unknown[]) => {
      if (Date.now() - lastWarn < 60_000) return;
      lastWarn = Date.now();
      log?.warn({ err: String(args[1] ?? args[0]) }, 'rate limiter store unavailable; requests pass unlimited');
    },
  };
  const common = { windowMs: 60_000, standardHeaders: 'draft-7' as const, legacyHeaders: false, logger };
  const limiter = (
    prefix: string,
    limit: number,
    key: (req: Request, res: Response) => string,
    message: string,
  ): RequestHandler => {
    const shared = store(prefix);
    if (!shared) return memoryLimiter({ limit, windowMs: common.windowMs, key, onLimited: handler(message) });
    // A shared store that is down must not take the API down with it: requests pass, the logs say why.
    return rateLimit({
      ...common,
      store: shared,
      passOnStoreError: true,
      limit,
      keyGenerator: key,
      handler: handler(message),
    });
  };
  const byIp = (req: Request) => ipKeyGenerator(req.ip ?? '');
  return {
    // Several people may share an address (an office NAT): the per-address budget is twice a user's.
    perIp: limiter(
      'ip',
      config.rateLimitPerMinute * 2,
      byIp,
      'too many requests from this address; retry after the time in Retry-After',
    ),
    perUser: limiter(
      'user',
      config.rateLimitPerMinute,
      (_req, res) => `u:${(res.locals.principal as Principal | undefined)?.userId ?? 'anonymous'}`,
      'too many requests for this user; retry after the time in Retry-After',
    ),
    auth: limiter(
      'auth',
      config.authRateLimitPerMinute,
      byIp,
      'too many sign-in attempts from this address; retry after the time in Retry-After',
    ),
  };
}

/** Rate-limit counters in Redis, shared by every instance. */
export const redisLimiterStore =
  (redis: Redis): LimiterStoreFactory =>
  (prefix) =>
    new RedisStore({
      prefix: `rl:${prefix}:`,
      sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<never>,
    });

import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { isLoopbackHost } from '../config.js';
import { DiscoError } from '../errors.js';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function hostName(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1);
  return hostHeader.split(':')[0] ?? '';
}

/**
 * Security: DNS rebinding. A page on evil.example can resolve its name to 127.0.0.1 and talk to a
 * loopback daemon; its requests then carry `Host: evil.example`. When bound to loopback only loopback
 * names (and configured extras) are accepted.
 */
export function hostCheck(
  bindHost: string,
  extraHosts: readonly string[],
): (req: IncomingMessage) => DiscoError | undefined {
  if (!isLoopbackHost(bindHost)) return () => undefined;
  const allowed = new Set([...LOOPBACK_NAMES, ...extraHosts.map((h) => h.toLowerCase())]);
  return (req) => {
    const host = hostName((req.headers.host ?? '').toLowerCase());
    return allowed.has(host) ? undefined : new DiscoError('forbidden', `host '${host}' is not allowed`);
  };
}

/**
 * Host, Origin and CORS in one pass (one middleware layer on every request).
 * Security: a browser tab on another site must not drive the API. Requests that carry an Origin must
 * come from the daemon's own origin or a configured one; CORS headers are sent only for those.
 */
export function requestGuards(options: {
  bindHost: string;
  extraHosts: readonly string[];
  allowedOrigins: readonly string[];
  /** Paths any origin may call (cookie-less public endpoints): answered with `Access-Control-Allow-Origin: *`. */
  openPath?: (path: string) => boolean;
}) {
  const checkHost = hostCheck(options.bindHost, options.extraHosts);
  const allowed = new Set(options.allowedOrigins);
  // X-Content-Type-Options: nosniff is among the fixed headers every response gets (request-log.ts).
  return (req: Request, res: Response, next: NextFunction) => {
    const hostError = checkHost(req);
    if (hostError) return next(hostError);
    const origin = req.headers.origin;
    if (origin === undefined) return next();
    if (options.openPath?.(req.path)) {
      res.setHeader('Access-Control-Allow-Origin', '*');
      if (req.method === 'OPTIONS') {
        res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
        res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, Mcp-Protocol-Version');
        res.setHeader('Access-Control-Max-Age', '600');
        res.status(204).end();
        return;
      }
      return next();
    }
    const self = `${req.protocol}://${req.headers.host ?? ''}`;
    if (origin !== self && !allowed.has(origin)) {
      return next(new DiscoError('forbidden', `origin '${origin}' is not allowed`));
    }
    if (allowed.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
      if (req.method === 'OPTIONS') {
        res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE, OPTIONS');
        res.setHeader(
          'Access-Control-Allow-Headers',
          'Authorization, Content-Type, Mcp-Session-Id, Mcp-Protocol-Version',
        );
        res.setHeader('Access-Control-Max-Age', '600');
        res.status(204).end();
        return;
      }
    }
    next();
  };
}

/**
 * The same Host and Origin rules for requests that bypass express (the Socket.IO handshake and its
 * WebSocket upgrade). The daemon's own origin is accepted over http or https (a TLS proxy may sit in front).
 */
export function rawRequestGuard(options: {
  bindHost: string;
  extraHosts: readonly string[];
  allowedOrigins: readonly string[];
}): (req: IncomingMessage) => DiscoError | undefined {
  const checkHost = hostCheck(options.bindHost, options.extraHosts);
  const allowed = new Set(options.allowedOrigins);
  return (req) => {
    const hostError = checkHost(req);
    if (hostError) return hostError;
    const origin = req.headers.origin;
    if (origin === undefined || allowed.has(origin)) return undefined;
    const host = req.headers.host ?? '';
    if (origin === `http://${host}` || origin === `https://${host}`) return undefined;
    return new DiscoError('forbidden', `origin '${origin}' is not allowed`);
  };
}

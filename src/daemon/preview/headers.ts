import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { PreviewRoute } from './route.js';

export const PREVIEW_COOKIE = 'disco_preview';

/**
 * Path mode serves every preview from the daemon's origin, so the app's pages run sandboxed: an opaque
 * origin that cannot read the daemon's cookies or storage nor call its API with the browser's
 * credentials, and no shared window with the daemon's pages.
 */
export const PATH_MODE_CSP = 'sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** The request cookies minus the preview cookie (the app never sees it). */
export function cookiesWithoutPreview(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const kept = header
    .split(';')
    .map((c) => c.trim())
    .filter((c) => c && !c.startsWith(`${PREVIEW_COOKIE}=`));
  return kept.length ? kept.join('; ') : undefined;
}

/** The preview cookie's value, if the request carries one. */
export function previewCookie(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const c = part.trim();
    if (c.startsWith(`${PREVIEW_COOKIE}=`)) return c.slice(PREVIEW_COOKIE.length + 1);
  }
  return undefined;
}

/**
 * Headers sent upstream: no Authorization, no preview cookie, no hop-by-hop headers; `Host` is the app's
 * own `localhost:<port>` (dev servers check it), the public host and prefix go in X-Forwarded-*.
 */
export function upstreamHeaders(req: IncomingMessage, route: PreviewRoute, proto: string): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers as IncomingHttpHeaders)) {
    if (v === undefined || HOP_BY_HOP.has(k) || k === 'authorization' || k === 'cookie' || k === 'host') continue;
    if (k.startsWith('x-forwarded-')) continue;
    out[k] = v;
  }
  const cookie = cookiesWithoutPreview(req.headers.cookie);
  if (cookie) out.cookie = cookie;
  out.host = `localhost:${route.port}`;
  out['x-forwarded-host'] = req.headers.host ?? '';
  out['x-forwarded-proto'] = proto;
  if (route.prefix) out['x-forwarded-prefix'] = route.prefix;
  return out;
}

/** The raw request head of a WebSocket upgrade, with the same header rules (its Connection/Upgrade kept). */
export function upgradeHead(req: IncomingMessage, route: PreviewRoute, proto: string): string {
  const headers = upstreamHeaders(req, route, proto);
  headers.connection = 'Upgrade';
  headers.upgrade = req.headers.upgrade ?? 'websocket';
  let head = `${req.method ?? 'GET'} ${route.upstreamPath} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(headers)) {
    for (const one of Array.isArray(v) ? v : [v]) {
      const text = String(one);
      if (!/[\r\n]/.test(text)) head += `${k}: ${text}\r\n`;
    }
  }
  return `${head}\r\n`;
}

/**
 * A Set-Cookie the app may set: never the preview cookie, never a `Domain` cookie (it would reach other
 * previews or the daemon), and in path mode only for paths inside the preview's prefix.
 */
export function allowedSetCookie(cookie: string, route: PreviewRoute): boolean {
  const [pair = '', ...attrs] = cookie.split(';');
  if (pair.trim().startsWith(`${PREVIEW_COOKIE}=`)) return false;
  let path: string | undefined;
  for (const a of attrs) {
    const [name = '', value = ''] = a.split('=');
    const n = name.trim().toLowerCase();
    if (n === 'domain') return false;
    if (n === 'path') path = value.trim();
  }
  if (route.mode === 'host' || path === undefined) return true;
  return path === route.prefix || path.startsWith(`${route.prefix}/`);
}

/** Response headers passed to the browser: hop-by-hop dropped, cookies filtered, path-mode isolation added. */
export function downstreamHeaders(upstream: IncomingHttpHeaders, route: PreviewRoute): OutgoingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(upstream)) {
    if (v === undefined || HOP_BY_HOP.has(k)) continue;
    out[k] = v;
  }
  const cookies = upstream['set-cookie'];
  if (cookies) {
    const kept = cookies.filter((c) => allowedSetCookie(c, route));
    if (kept.length) out['set-cookie'] = kept;
    else delete out['set-cookie'];
  }
  if (route.mode === 'path') {
    // A redirect to an absolute path of the app stays inside the preview.
    const location = upstream.location;
    if (location?.startsWith('/') && !location.startsWith('//')) out.location = `${route.prefix}${location}`;
    const csp = upstream['content-security-policy'];
    // Several CSP headers are all enforced: the app's own stays, the sandbox is added.
    out['content-security-policy'] = [...(csp === undefined ? [] : [csp].flat()), PATH_MODE_CSP];
    out['cross-origin-opener-policy'] = 'same-origin';
    out['x-content-type-options'] = 'nosniff';
    // Security: a path-mode response is the daemon's origin's: the app's Clear-Site-Data would wipe the
    // daemon's own storage and cookies (the sign-in of /docs, say).
    delete out['clear-site-data'];
  }
  return out;
}

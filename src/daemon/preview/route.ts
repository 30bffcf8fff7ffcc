import type { IncomingMessage } from 'node:http';
import { containerOfLabel } from './service.js';

/** A request for a preview: which container and port, the path the app sees, and the form it came in. */
export interface PreviewRoute {
  mode: 'path' | 'host';
  containerId: string;
  /** NaN or out of range when the request named a bad port (answered with a typed error). */
  port: number;
  /** `/preview/<container>/<port>` in path mode, '' in host mode. */
  prefix: string;
  /** Path and query forwarded upstream. */
  upstreamPath: string;
  /** True when the path form lacks the slash after the port (redirected, so relative URLs resolve). */
  needsSlash: boolean;
}

const PATH_FORM = /^\/preview\/([A-Za-z0-9_-]{1,128})\/([^/?#]{1,12})(\/[^?#]*)?(\?.*)?$/;
const HOST_LABEL = /^([0-9]{1,6})--([a-z0-9_-]{1,128})$/;

export const hostNameOf = (host: string) => (host.startsWith('[') ? host : (host.split(':')[0] ?? '')).toLowerCase();

/** Parses a port as the URL gave it; NaN unless it is a plain decimal number. */
const portOf = (text: string) => (/^[0-9]{1,6}$/.test(text) ? Number(text) : Number.NaN);

/** The host form `<port>--<container>.<domain>`: any path on such a host is the preview's, never the API's. */
export function hostRoute(req: IncomingMessage, domain: string | undefined): PreviewRoute | undefined {
  if (!domain) return undefined;
  const host = hostNameOf(req.headers.host ?? '');
  const bare = hostNameOf(domain);
  if (!host.endsWith(`.${bare}`)) return undefined;
  const m = HOST_LABEL.exec(host.slice(0, -bare.length - 1));
  if (!m) return undefined;
  return {
    mode: 'host',
    containerId: containerOfLabel(m[2] as string),
    port: portOf(m[1] as string),
    prefix: '',
    upstreamPath: req.url ?? '/',
    needsSlash: false,
  };
}

/** The path form `/preview/<container>/<port>/…` on the daemon. */
export function pathRoute(req: IncomingMessage): PreviewRoute | undefined {
  const url = req.url ?? '';
  if (!url.startsWith('/preview/')) return undefined;
  const m = PATH_FORM.exec(url);
  if (!m) return undefined;
  const containerId = m[1] as string;
  const portText = m[2] as string;
  return {
    mode: 'path',
    containerId,
    port: portOf(portText),
    prefix: `/preview/${containerId}/${portText}`,
    upstreamPath: `${m[3] ?? '/'}${m[4] ?? ''}`,
    needsSlash: m[3] === undefined,
  };
}

export const validPort = (port: number) => Number.isInteger(port) && port >= 1 && port <= 65535;

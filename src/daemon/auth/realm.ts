import type { IncomingMessage } from 'node:http';
import type { Config } from '../config.js';
import type { Realm } from './token-pair.js';

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim();

/**
 * The daemon's public base URL for one request: `DISCO_PUBLIC_URL`, else (opt-in) what a trusted proxy
 * says, else the URL the request came to. Token issuer, OAuth metadata and links all use it.
 */
export function publicBaseUrl(req: IncomingMessage, config: Pick<Config, 'publicUrl' | 'trustProxy'>): string {
  if (config.publicUrl) return config.publicUrl;
  const secure = 'encrypted' in req.socket && req.socket.encrypted === true;
  let proto = secure ? 'https' : 'http';
  let host = req.headers.host ?? 'localhost';
  if (config.trustProxy) {
    const fp = first(req.headers['x-forwarded-proto']);
    const fh = first(req.headers['x-forwarded-host']);
    if (fp === 'http' || fp === 'https') proto = fp;
    if (fh && /^[A-Za-z0-9.[\]:-]+$/.test(fh)) host = fh;
  }
  return `${proto}://${host}`;
}

export type Surface = 'rest' | 'mcp' | 'socket';

/** Issuer and the audiences a surface accepts: the daemon itself, or the surface's own resource URL. */
export function realmFor(base: string, surface: Surface): Realm {
  const own = surface === 'mcp' ? `${base}/mcp` : surface === 'rest' ? `${base}/api/v1` : undefined;
  return { issuer: base, audiences: own ? [base, own] : [base] };
}

/** RFC 9728 metadata URL of a surface (the `resource_metadata` of a 401). */
export const resourceMetadataUrl = (base: string, surface: Surface) =>
  `${base}/.well-known/oauth-protected-resource${surface === 'mcp' ? '/mcp' : ''}`;

/** The token of an `Authorization: Bearer …` header. */
export const bearerOf = (header: string | undefined) => /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];

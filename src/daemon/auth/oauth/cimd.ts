import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { OAuthRequestError } from './clients.js';

const MAX_BYTES = 64 * 1024;
const TIMEOUT_MS = 5000;

/** Loopback, private, link-local and other non-public addresses (an SSRF target list). */
export function isPrivateAddress(ip: string): boolean {
  if (isIP(ip) === 4) {
    const [a = 0, b = 0] = ip.split('.').map(Number);
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127) ||
      a >= 224
    );
  }
  const v6 = ip.toLowerCase();
  if (v6.startsWith('::ffff:')) return isPrivateAddress(v6.slice(7));
  return v6 === '::' || v6 === '::1' || v6.startsWith('fc') || v6.startsWith('fd') || v6.startsWith('fe80');
}

/**
 * Fetches a Client ID Metadata Document. Security: the client id is attacker-chosen, so this is an
 * outbound request on someone else's behalf: https only, public addresses only (unless the daemon is a
 * loopback-only dev instance and the document is on loopback), no redirects, 5 s, 64 KiB.
 */
export async function fetchClientMetadataDocument(url: string, opts: { allowLoopback: boolean }): Promise<unknown> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new OAuthRequestError('invalid_client', 'client_id is not a URL');
  }
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
  if (addresses.length === 0) throw new OAuthRequestError('invalid_client', `cannot resolve ${u.hostname}`);
  const loopbackOnly = addresses.every((a) => a === '::1' || a.startsWith('127.'));
  const devLoopback = opts.allowLoopback && loopbackOnly;
  if (u.protocol !== 'https:' && !devLoopback) throw new OAuthRequestError('invalid_client', 'client_id must be https');
  if (!devLoopback && addresses.some(isPrivateAddress)) {
    throw new OAuthRequestError('invalid_client', 'client_id must resolve to public addresses');
  }
  let res: Response;
  try {
    res = await fetch(u, {
      redirect: 'error',
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch {
    throw new OAuthRequestError('invalid_client', 'the client metadata document could not be fetched');
  }
  if (!res.ok) throw new OAuthRequestError('invalid_client', `the client metadata document answered ${res.status}`);
  const reader = res.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const part = reader ? await reader.read() : { done: true as const, value: undefined };
    if (part.done) break;
    size += part.value.byteLength;
    if (size > MAX_BYTES) {
      await reader?.cancel();
      throw new OAuthRequestError('invalid_client', 'the client metadata document is too large');
    }
    chunks.push(part.value);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new OAuthRequestError('invalid_client', 'the client metadata document is not JSON');
  }
  if (!doc || typeof doc !== 'object' || (doc as { client_id?: unknown }).client_id !== url) {
    throw new OAuthRequestError('invalid_client', "the document's client_id must equal its URL");
  }
  return doc;
}

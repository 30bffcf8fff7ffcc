import { type Resolver, vetHost } from '../../net/address-policy.js';
import { OAuthRequestError } from './errors.js';
import { PinnedRequestError, pinnedGet } from './pinned-request.js';

const MAX_BYTES = 64 * 1024;
const TIMEOUT_MS = 5000;

export interface MetadataFetchOptions {
  /** A loopback-only dev instance may fetch documents served on loopback (over http too). */
  allowLoopback: boolean;
  /** Name resolution; the system resolver unless a test or deployment supplies another. */
  resolve?: Resolver;
}

/**
 * Fetches a JSON document a client names (its Client ID Metadata Document, its JWKS). Security: the URL
 * is attacker-chosen, so this is an outbound request on someone else's behalf: https only; the host is
 * resolved once and every address must be public (see address-policy.ts) unless the daemon is a
 * loopback-only dev instance and the document is on loopback; the request then goes to exactly the vetted
 * address (no DNS rebinding), follows no redirects, and is cut at 5 s and 64 KiB. Errors name `what`.
 */
export async function fetchClientDocument(url: string, what: string, opts: MetadataFetchOptions): Promise<unknown> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new OAuthRequestError('invalid_client', `${what} is not a URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new OAuthRequestError('invalid_client', `${what} must be https`);
  if (u.username || u.password) throw new OAuthRequestError('invalid_client', `${what} must not carry credentials`);
  const vetted = await vetHost(u.hostname, opts);
  if (!vetted.ok) throw new OAuthRequestError('invalid_client', `${what} host refused: ${vetted.reason}`);
  if (u.protocol !== 'https:' && !vetted.loopback)
    throw new OAuthRequestError('invalid_client', `${what} must be https`);
  let res: Awaited<ReturnType<typeof pinnedGet>>;
  try {
    res = await pinnedGet(u, vetted.target, {
      timeoutMs: TIMEOUT_MS,
      maxBytes: MAX_BYTES,
      headers: { accept: 'application/json' },
    });
  } catch (err) {
    const tooLarge = err instanceof PinnedRequestError && /over \d+ bytes/.test(err.message);
    throw new OAuthRequestError('invalid_client', tooLarge ? `${what} is too large` : `${what} could not be fetched`);
  }
  if (res.status < 200 || res.status > 299) {
    throw new OAuthRequestError('invalid_client', `${what} answered ${res.status}`);
  }
  try {
    return JSON.parse(res.body.toString('utf8'));
  } catch {
    throw new OAuthRequestError('invalid_client', `${what} is not JSON`);
  }
}

/** Fetches a Client ID Metadata Document (see fetchClientDocument); its `client_id` must be its own URL. */
export async function fetchClientMetadataDocument(url: string, opts: MetadataFetchOptions): Promise<unknown> {
  const doc = await fetchClientDocument(url, 'the client metadata document', opts).catch((err: unknown) => {
    // The URL itself is the client id: say so in the errors about it.
    if (
      err instanceof OAuthRequestError &&
      /^the client metadata document (is not a URL|must|host)/.test(err.message)
    ) {
      throw new OAuthRequestError('invalid_client', err.message.replace('the client metadata document', 'client_id'));
    }
    throw err;
  });
  if (!doc || typeof doc !== 'object' || (doc as { client_id?: unknown }).client_id !== url) {
    throw new OAuthRequestError('invalid_client', "the document's client_id must equal its URL");
  }
  return doc;
}

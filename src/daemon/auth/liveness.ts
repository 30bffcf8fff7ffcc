import type { Principal } from '../ops/op.js';
import { PAT_SESSION } from './accounts.js';
import type { TokenStore } from './token-store.js';

type Who = Pick<Principal, 'via' | 'tokenId' | 'sessionId'>;

/** Until when a PAT stays live (Infinity: no expiry), or undefined when it is revoked, expired or unknown. */
export const patLiveUntil = async (tokens: TokenStore, id: string): Promise<number | undefined> => {
  const pat = await tokens.pat(id);
  if (pat === undefined || pat.revokedAt !== null) return undefined;
  const until = pat.expiresAt ?? Number.POSITIVE_INFINITY;
  return until > Date.now() ? until : undefined;
};

/** Until when what a principal was authenticated with stays live unless something is written; see below. */
async function liveUntil(tokens: TokenStore, principal: Who): Promise<number | undefined> {
  try {
    if (principal.sessionId !== undefined) {
      const session = await tokens.session(principal.sessionId);
      if (!session || session.revokedAt !== null) return undefined;
      const parent = PAT_SESSION.exec(principal.sessionId)?.[1];
      return parent === undefined ? Number.POSITIVE_INFINITY : await patLiveUntil(tokens, parent);
    }
    if (principal.tokenId !== undefined && (principal.via === 'pat' || principal.via === 'admin_token')) {
      return await patLiveUntil(tokens, principal.tokenId);
    }
    return principal.via === 'local' ? Number.POSITIVE_INFINITY : undefined;
  } catch {
    return undefined;
  }
}

/** For each long-lived connection's principal (one object per connection): the store version and expiry it was found live at. */
const liveAt = new WeakMap<object, { version: number; until: number }>();

/**
 * Whether what a principal was authenticated with is still live: its session not revoked (nor the PAT it was
 * made from), or its PAT not revoked nor expired. Security: for connections that outlive the request that
 * opened them (terminals, output streams), revoking a token must end them too. An access token's own expiry
 * does not: its session does. A store that cannot answer counts as not live.
 * Read again only when the store may have changed since this principal was last found live (or a PAT's
 * expiry has come). Perf: a terminal checks before each keystroke; a revocation is a write, which moves the
 * store's version (DbChanges), so none is missed. A store without a version (Redis) is asked each time.
 */
export async function stillLiveCached(tokens: TokenStore, principal: Who): Promise<boolean> {
  const version = tokens.version();
  const known = liveAt.get(principal);
  if (version !== undefined && known?.version === version && known.until > Date.now()) return true;
  const until = await liveUntil(tokens, principal);
  if (until !== undefined && version !== undefined) liveAt.set(principal, { version, until });
  else liveAt.delete(principal);
  return until !== undefined;
}

import type { Principal } from '../ops/op.js';
import { PAT_SESSION } from './accounts.js';
import type { TokenStore } from './token-store.js';

const patLive = async (tokens: TokenStore, id: string) => {
  const pat = await tokens.pat(id);
  return pat !== undefined && pat.revokedAt === null && (pat.expiresAt === null || pat.expiresAt > Date.now());
};

/**
 * Whether what a principal was authenticated with is still live: its session not revoked (nor the PAT it was
 * made from), or its PAT not revoked nor expired. Security: for connections that outlive the request that
 * opened them (terminals, output streams), revoking a token must end them too. An access token's own expiry
 * does not: its session does. A store that cannot answer counts as not live.
 */
export async function tokenStillLive(
  tokens: TokenStore,
  principal: Pick<Principal, 'via' | 'tokenId' | 'sessionId'>,
): Promise<boolean> {
  try {
    if (principal.sessionId !== undefined) {
      const session = await tokens.session(principal.sessionId);
      if (!session || session.revokedAt !== null) return false;
      const parent = PAT_SESSION.exec(principal.sessionId)?.[1];
      return parent === undefined || (await patLive(tokens, parent));
    }
    if (principal.tokenId !== undefined && (principal.via === 'pat' || principal.via === 'admin_token')) {
      return await patLive(tokens, principal.tokenId);
    }
    return principal.via === 'local';
  } catch {
    return false;
  }
}

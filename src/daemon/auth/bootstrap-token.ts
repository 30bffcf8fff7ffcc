import { randomUUID } from 'node:crypto';
import type { PatRow } from '../db/tokens-repo.js';
import type { BootstrapSlot } from './admin-token.js';
import { scopesForUser } from './scopes.js';
import { secretDigest, secretHint } from './secrets.js';
import type { TokenStore } from './token-store.js';

/** What bootstrap tokens were named before they had a slot: such a one is in every slot. */
const LEGACY_BOOTSTRAP_NAME = 'bootstrap';
const bootstrapName = (slot: BootstrapSlot) =>
  `bootstrap (${slot === 'env' ? 'DISCO_ADMIN_TOKEN' : 'admin-token file'})`;

/**
 * The bootstrap token is the admin's PAT; registered once by digest, so revoking it sticks across restarts.
 * Only `disco serve` registers one (see openCore); it is named after its slot, DISCO_ADMIN_TOKEN or the
 * token file. On a single instance, a new token in a slot revokes that slot's previous one (and one
 * from before slots existed): rotating it is how an operator shuts out a leaked one. Instances sharing a store
 * may (wrongly) each have their own; they would revoke each other's at every start, so there the old one is
 * revoked by hand (token_revoke).
 */
export async function registerBootstrap(
  tokens: TokenStore,
  token: string,
  adminId: string,
  slot: BootstrapSlot,
): Promise<{ digest: string; pat: PatRow }> {
  const hash = secretDigest(token);
  const name = bootstrapName(slot);
  const existing = await tokens.patByHash(hash);
  if (!tokens.shared) {
    const now = Date.now();
    for (const old of await tokens.patsOf(adminId)) {
      const sameSlot = old.name === name || old.name === LEGACY_BOOTSTRAP_NAME;
      if (old.kind === 'bootstrap' && sameSlot && old.revokedAt === null && old.id !== existing?.id) {
        await tokens.revokePat(old.id, now);
      }
    }
  }
  if (existing) {
    return { digest: hash, pat: existing };
  }
  await tokens.insertPat({
    id: `tok_${randomUUID().replaceAll('-', '').slice(0, 16)}`,
    userId: adminId,
    name,
    tokenHash: hash,
    hint: secretHint(token),
    scopes: scopesForUser(true),
    kind: 'bootstrap',
    userName: 'admin',
    userIsAdmin: true,
    createdAt: Date.now(),
    expiresAt: null,
  });
  return { digest: hash, pat: (await tokens.patByHash(hash)) as PatRow };
}

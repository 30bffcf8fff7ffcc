import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ADMIN_TOKEN_FILE, adminTokenPath } from '../../shared/defaults.js';
import { atomicWrite } from '../workspace/files.js';

export { ADMIN_TOKEN_FILE, adminTokenPath };

export type AdminTokenSource = 'env' | 'file' | 'generated';

/**
 * Where a bootstrap token came from, as far as replacing one is concerned: DISCO_ADMIN_TOKEN, or the token
 * file (read or written). A new token revokes only the previous one from the same place.
 */
export type BootstrapSlot = 'env' | 'file';

export const bootstrapSlotOf = (source: AdminTokenSource): BootstrapSlot => (source === 'env' ? 'env' : 'file');

/**
 * The bootstrap admin token: DISCO_ADMIN_TOKEN when set (deploys, scripts), else the one kept in
 * `$DISCO_HOME/admin-token`, generated with 256 bits of randomness on first start and stored 0600.
 */
export async function ensureAdminToken(
  home: string,
  fromEnv: string | undefined,
): Promise<{ token: string; source: AdminTokenSource }> {
  if (fromEnv) return { token: fromEnv, source: 'env' };
  const file = adminTokenPath(home);
  try {
    const existing = (await readFile(file, 'utf8')).trim();
    if (existing.length >= 16) return { token: existing, source: 'file' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = `disco_${randomBytes(32).toString('base64url')}`;
  await atomicWrite(file, Buffer.from(`${token}\n`), 0o600);
  return { token, source: 'generated' };
}

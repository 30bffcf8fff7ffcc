import { chmodSync, lchownSync, lstatSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Owner } from '../workspace/sandbox-launch.js';

/** Where a container's browser profiles appear inside its sandbox (read-write, its own only). */
export const BROWSER_PROFILES_INSIDE = '/run/disco/browser';

/**
 * The host directory of one container's browser profiles, made when missing: `<base>/<container>`, in
 * the daemon's state (never in the workspace, so file ops and git never see cookies), given to the
 * sandbox uid of a root daemon. Security: `base` stays the daemon's (0711: traversable, not listable);
 * a container only ever sees its own directory, bound into its own sandbox.
 */
export function browserProfilesDir(base: string, containerId: string, owner: Owner | undefined): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(containerId)) throw new Error(`bad container id ${containerId}`);
  mkdirSync(base, { recursive: true, mode: 0o700 });
  chmodSync(base, owner ? 0o711 : 0o700);
  const dir = path.join(base, containerId);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const s = lstatSync(dir);
  if (!s.isDirectory() || s.isSymbolicLink()) throw new Error(`not a directory: ${dir}`);
  if (owner && (s.uid !== owner.uid || s.gid !== owner.gid)) lchownSync(dir, owner.uid, owner.gid);
  return dir;
}

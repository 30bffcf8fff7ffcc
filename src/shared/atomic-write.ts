import { randomBytes } from 'node:crypto';
import { chmod, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

/** The sibling a crash-safe write fills before renaming it over `name`. */
export const tempName = (name: string) => `.${name}.${randomBytes(6).toString('hex')}.disco-tmp`;
const TEMP_NAME = /^\..+\.[0-9a-f]{12}\.disco-tmp$/;
/** Whether a directory entry is such a sibling: a write of Disco's in flight (or cut short by a crash). */
export const isTempName = (name: string) => TEMP_NAME.test(name);

/**
 * Crash-safe replace of a daemon-owned file (keys, tokens, settings): write a sibling temp file, fsync it,
 * rename over the target (atomic on POSIX), then fsync the directory so the rename survives a power loss.
 * Not for workspace files, whose directories untrusted processes change: those go through writeFileAt.
 */
export async function atomicWrite(abs: string, data: Uint8Array, mode?: number): Promise<void> {
  const tmp = path.join(path.dirname(abs), tempName(path.basename(abs)));
  const fh = await open(tmp, 'wx', mode === undefined ? 0o644 : mode & 0o7777);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fh.close();
  try {
    if (mode !== undefined) await chmod(tmp, mode & 0o7777);
    await rename(tmp, abs);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  const dir = await open(path.dirname(abs), 'r').catch(() => undefined);
  if (dir) {
    await dir.sync().catch(() => {});
    await dir.close();
  }
}

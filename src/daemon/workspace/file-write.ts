import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fchownSync, fsync, openSync, renameSync, unlinkSync, write } from 'node:fs';
import { chmod, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { at, type Owner } from './workspace-dir.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_DIRECTORY } = constants;
const writeAsync = promisify(write);
const fsyncAsync = promisify(fsync);

const tempName = (name: string) => `.${name}.${randomBytes(6).toString('hex')}.disco-tmp`;

/**
 * Crash-safe, race-free replace of `name` inside the directory `dirFd` pins: a temp file created there
 * with O_CREAT|O_EXCL|O_NOFOLLOW (never through a link), written and fsynced, then renamed over `name`
 * within the same pinned directory, which is fsynced too. Nothing is looked up by a path a process in the
 * container could redirect.
 */
export async function writeFileAt(
  dirFd: number,
  name: string,
  data: Uint8Array,
  options: { mode?: number | undefined; owner?: Owner | undefined } = {},
): Promise<void> {
  const tmp = tempName(name);
  const fd = openSync(at(dirFd, tmp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, options.mode ?? 0o644);
  try {
    for (let off = 0; off < data.length; ) off += (await writeAsync(fd, data, off, data.length - off)).bytesWritten;
    // The umask applied at creation; an existing file's mode is kept exactly.
    if (options.mode !== undefined) fchmodSync(fd, options.mode & 0o7777);
    if (options.owner) fchownSync(fd, options.owner.uid, options.owner.gid);
    await fsyncAsync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkQuietly(dirFd, tmp);
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(at(dirFd, tmp), at(dirFd, name));
  } catch (err) {
    unlinkQuietly(dirFd, tmp);
    throw err;
  }
  let dir: number | undefined;
  try {
    dir = openSync(at(dirFd), O_RDONLY | O_DIRECTORY);
    await fsyncAsync(dir);
  } catch {
    // durability of the rename is best effort, like before
  } finally {
    if (dir !== undefined) closeSync(dir);
  }
}

function unlinkQuietly(dirFd: number, name: string): void {
  try {
    unlinkSync(at(dirFd, name));
  } catch {
    // already gone
  }
}

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

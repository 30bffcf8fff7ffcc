import { closeSync, constants, fchmodSync, fchownSync, fsync, openSync, rename, unlinkSync, write } from 'node:fs';
import { promisify } from 'node:util';
import { tempName } from '../../shared/atomic-write.js';
import { at, type Owner } from './workspace-dir.js';

export { atomicWrite } from '../../shared/atomic-write.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_DIRECTORY } = constants;
const writeAsync = promisify(write);
const fsyncAsync = promisify(fsync);
const renameAsync = promisify(rename);

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
    // Perf: off the event loop. Right after an fsync the rename waits for the file system's journal: under a
    // write load it was the largest blocking call on the loop (~1.2 ms per write, more on a busy disk).
    await renameAsync(at(dirFd, tmp), at(dirFd, name));
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

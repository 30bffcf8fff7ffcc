import { closeSync, constants, openSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { at, errnoOf, O_PATH } from './workspace-dir.js';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = constants;

/** Yield to the event loop after this many entries, so deleting a huge tree does not stall other requests. */
const YIELD_EVERY = 512;

/**
 * Deletes `name` inside the directory `parentFd` pins, and everything below it, without ever following
 * a symlink. Security: every directory is opened with O_NOFOLLOW and its entries are unlinked through that
 * descriptor, so a process that swaps a directory for a symlink mid-delete makes the delete see the link
 * (and unlink it), never the link's target. A missing entry is not an error.
 */
export async function removeTreeAt(parentFd: number, name: string): Promise<void> {
  let budget = YIELD_EVERY;
  const tick = async () => {
    if (--budget > 0) return;
    budget = YIELD_EVERY;
    await new Promise((r) => setImmediate(r));
  };
  const remove = async (dirFd: number, entry: string): Promise<void> => {
    let fd: number;
    try {
      fd = openSync(at(dirFd, entry), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'ENOENT') return;
      if (code !== 'ENOTDIR') throw err;
      return unlinkQuietly(dirFd, entry); // a file, FIFO or symlink (the link itself goes)
    }
    try {
      for (let round = 0; ; round++) {
        for (const d of readdirSync(at(fd), { withFileTypes: true })) {
          await tick();
          if (d.isDirectory()) await remove(fd, d.name);
          else
            await unlinkQuietly(fd, d.name).catch((err) => {
              if (errnoOf(err) === 'EISDIR') return remove(fd, d.name); // became a directory meanwhile
              throw err;
            });
        }
        try {
          rmdirSync(at(dirFd, entry));
          return;
        } catch (err) {
          // Refilled meanwhile (a process still writing): empty it again a few times, then give up.
          if (errnoOf(err) !== 'ENOTEMPTY' || round >= 3) throw err;
        }
      }
    } finally {
      closeSync(fd);
    }
  };
  await remove(parentFd, name);
}

async function unlinkQuietly(dirFd: number, name: string): Promise<void> {
  try {
    unlinkSync(at(dirFd, name));
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') throw err;
  }
}

/** removeTreeAt for a daemon-controlled absolute path (a container directory): `rm -rf` that never follows links. */
export async function removeTree(abs: string): Promise<void> {
  let parentFd: number;
  try {
    parentFd = openSync(path.dirname(abs), O_PATH | O_DIRECTORY | O_NOFOLLOW);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return;
    throw err;
  }
  try {
    await removeTreeAt(parentFd, path.basename(abs));
  } finally {
    closeSync(parentFd);
  }
}

import { closeSync, fstatSync, openSync } from 'node:fs';

/** How many workspace roots stay open between operations (least recently used closed first). */
const MAX_OPEN = 256;

interface Handle {
  fd: number;
  /** Operations using the descriptor now: it is closed only when none is. */
  users: number;
  /** Dropped from the table (evicted, or its container deleted): close when the last user is done. */
  dropped: boolean;
}

/**
 * Open descriptors of workspace roots, kept between operations. Perf: opening a root by its absolute path
 * walks every component of it (and closing it is another system call): together about as much as the file
 * read an operation is for. Security: the descriptor pins the directory the container was created with,
 * exactly as a fresh open would (a root is a daemon-controlled realpath, opened without following a link);
 * a root whose directory was removed (no links left) is reopened, and a deleted container's is dropped.
 */
export class RootHandles {
  private readonly open = new Map<string, Handle>();

  constructor(
    private readonly flags: number,
    private readonly max = MAX_OPEN,
  ) {}

  /** A descriptor for `root`, held until `release`. Throws the open's errno error. */
  acquire(root: string): Handle {
    let handle = this.open.get(root);
    if (handle) {
      this.open.delete(root);
      if (fstatSync(handle.fd).nlink === 0) {
        this.drop(handle);
        handle = undefined;
      }
    }
    handle ??= { fd: openSync(root, this.flags), users: 0, dropped: false };
    // Most recently used last.
    this.open.set(root, handle);
    handle.users++;
    if (this.open.size > this.max) {
      const [oldest, h] = this.open.entries().next().value as [string, Handle];
      this.open.delete(oldest);
      this.drop(h);
    }
    return handle;
  }

  release(handle: Handle): void {
    handle.users--;
    if (handle.dropped && handle.users === 0) closeSync(handle.fd);
  }

  /** Forgets `root` (its container is being deleted); the descriptor closes once nothing uses it. */
  forget(root: string): void {
    const handle = this.open.get(root);
    if (!handle) return;
    this.open.delete(root);
    this.drop(handle);
  }

  /** How many roots are open (tests). */
  get size(): number {
    return this.open.size;
  }

  private drop(handle: Handle): void {
    if (handle.dropped) return;
    handle.dropped = true;
    if (handle.users === 0) closeSync(handle.fd);
  }
}

import {
  closeSync,
  constants,
  fstatSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  openSync,
  read,
  readlinkSync,
  readSync,
  type Stats,
} from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { DiscoError, fromErrno, InvalidPathError, PathOutsideWorkspaceError } from '../errors.js';
import { normalizeRelative } from './paths.js';
import { RootHandles } from './root-handles.js';

/**
 * Race-free access to a workspace whose contents untrusted processes change at the same time.
 *
 * Security: a path is never checked and then reopened by name. The root is opened once; every component is
 * then looked up inside the directory a descriptor pins (`/proc/self/fd/<dirfd>/<name>`: Linux's openat
 * for a runtime without one), with O_NOFOLLOW, so swapping a directory for a symlink cannot redirect a
 * lookup. A symlink met on the way is read (not followed), resolved lexically against the path walked so
 * far, refused when it leaves the root, and the walk restarts from the root descriptor.
 * Perf: these are sync metadata calls (microseconds each); a threadpool round trip would cost more.
 */

/** Open a file or directory only as a handle: no read, no side effect of opening a device or FIFO. */
export const O_PATH = 0o10000000;
const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = constants;
/** Like the kernel's own limit on symlinks in one lookup. */
export const MAX_SYMLINK_HOPS = 40;
const DIR_HANDLE = O_PATH | O_DIRECTORY | O_NOFOLLOW;
/** Final components: never follows a link (ELOOP instead) and never blocks on a FIFO. */
const READ_FINAL = O_RDONLY | O_NOFOLLOW | O_NONBLOCK;

/** A path that names `name` inside the directory `dirFd` pins; only `name` itself is looked up. */
export const at = (dirFd: number, name?: string): string =>
  name === undefined ? `/proc/self/fd/${dirFd}` : `/proc/self/fd/${dirFd}/${name}`;

export const errnoOf = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

/** The uid and gid commands run as on the host (a root daemon's sandbox uid); what the daemon creates for a
 * container belongs to them. */
export interface Owner {
  uid: number;
  gid: number;
}

/** The parent of a path, pinned by a descriptor, and the final name (not yet looked up). */
export interface Located {
  dirFd: number;
  name: string;
  /** Canonical path relative to the root: every symlink on the way replaced by its target. */
  rel: string;
  /** lstat of the final name at lookup time (never follows it); undefined when it does not exist. */
  stat: Stats | undefined;
}

export class NotARegularFileError extends DiscoError {
  constructor(clientPath: string, what = 'a regular file') {
    super('not_a_file', `'${clientPath}' is not ${what}`, { path: clientPath });
  }
}

/** The components of a client's path after the lexical checks; none for the root. */
function partsOf(input: string): string[] {
  const rel = normalizeRelative(input);
  return rel === '.' ? [] : rel.split('/');
}

/** Returns the link's target when `name` in `dirFd` is a symlink, else undefined. */
function linkAt(dirFd: number, name: string): string | undefined {
  try {
    return readlinkSync(at(dirFd, name));
  } catch {
    return undefined;
  }
}

/** An open workspace root; every lookup starts from its descriptor. Close it when done. */
export class WorkspaceDir {
  private constructor(
    readonly root: string,
    readonly fd: number,
  ) {}

  /** `root` is a daemon-controlled realpath (a container directory), opened without following a link. */
  static open(root: string): WorkspaceDir {
    return new WorkspaceDir(root, openSync(root, DIR_HANDLE));
  }

  /** A view of `root` through a descriptor its caller holds open (and closes). */
  static over(root: string, fd: number): WorkspaceDir {
    return new WorkspaceDir(root, fd);
  }

  close(): void {
    closeSync(this.fd);
  }

  /** Closes a descriptor this class handed out (never the root's own). */
  release(fd: number): void {
    if (fd !== this.fd) closeSync(fd);
  }

  /**
   * Replaces the symlink at `prefix` (whose target is `target`) in a path and normalises the result;
   * refuses results outside the root. An absolute target counts when it names the root's own path (the
   * sandbox mounts the workspace at the same path, so links made inside it look like that).
   */
  private substitute(input: string, prefix: readonly string[], target: string, rest: readonly string[]): string[] {
    let base = prefix;
    let link = target;
    if (path.posix.isAbsolute(target)) {
      if (target !== this.root && !target.startsWith(`${this.root}/`)) throw new PathOutsideWorkspaceError(input);
      base = [];
      link = target.slice(this.root.length + 1) || '.';
    }
    const joined = path.posix.normalize([...base, link, ...rest].join('/'));
    if (joined === '..' || joined.startsWith('../')) throw new PathOutsideWorkspaceError(input);
    const clean = joined.replace(/\/+$/, '');
    return clean === '.' || clean === '' ? [] : clean.split('/');
  }

  /**
   * Walks to the parent of `input`, following in-workspace symlinks of the parents. With `followFinal`,
   * a final symlink is followed the same way; without, the final name is left as it is (delete, move).
   * With `create`, missing parents are made (and handed to `owner`).
   */
  locate(input: string, options: { followFinal: boolean; create?: boolean; owner?: Owner | undefined }): Located {
    let parts = partsOf(input);
    for (let hops = 0; ; hops++) {
      if (hops > MAX_SYMLINK_HOPS) throw new InvalidPathError('too many symlinks', input);
      if (parts.length === 0) throw new InvalidPathError('the workspace root has no parent', input);
      const walked = this.walkParents(input, parts, options.create === true, options.owner);
      if (Array.isArray(walked)) {
        parts = walked;
        continue;
      }
      const name = parts[parts.length - 1] as string;
      const stat = lstatSync(at(walked, name), { throwIfNoEntry: false });
      if (options.followFinal && stat?.isSymbolicLink()) {
        const target = linkAt(walked, name);
        this.release(walked);
        if (target === undefined) continue; // replaced meanwhile: look again
        parts = this.substitute(input, parts.slice(0, -1), target, []);
        continue;
      }
      return { dirFd: walked, name, rel: parts.join('/'), stat };
    }
  }

  /** Opens the directory holding the last component; returns new parts instead when a parent is a link. */
  private walkParents(input: string, parts: readonly string[], create: boolean, owner?: Owner): number | string[] {
    let dirFd = this.fd;
    try {
      for (let i = 0; i < parts.length - 1; i++) {
        const name = parts[i] as string;
        let next: number | undefined;
        for (let attempt = 0; next === undefined; attempt++) {
          try {
            next = openSync(at(dirFd, name), DIR_HANDLE);
          } catch (err) {
            const code = errnoOf(err);
            if (code === 'ENOTDIR') {
              const target = linkAt(dirFd, name);
              if (target !== undefined) return this.substitute(input, parts.slice(0, i), target, parts.slice(i + 1));
            }
            if (code !== 'ENOENT' || !create || attempt > 2) throw err;
            try {
              mkdirSync(at(dirFd, name), 0o777);
              // lchown: if the new directory was swapped for a link already, the link (in the workspace) is what changes.
              if (owner) lchownSync(at(dirFd, name), owner.uid, owner.gid);
            } catch (mkErr) {
              if (errnoOf(mkErr) !== 'EEXIST') throw mkErr;
            }
          }
        }
        this.release(dirFd);
        dirFd = next;
      }
      return dirFd;
    } catch (err) {
      this.release(dirFd);
      if (err instanceof DiscoError) throw err;
      throw fromErrno(err, input);
    }
  }

  /**
   * Opens `input` for reading, following in-workspace symlinks, and fstats the descriptor. Never blocks:
   * a FIFO opens non-blocking and the caller refuses it by its type. The caller closes `fd`.
   */
  openFollow(input: string): { fd: number; rel: string; stat: Stats } {
    let parts = partsOf(input);
    for (let hops = 0; ; hops++) {
      if (hops > MAX_SYMLINK_HOPS) throw new InvalidPathError('too many symlinks', input);
      if (parts.length === 0) {
        const fd = openSync(at(this.fd), O_RDONLY | O_DIRECTORY);
        return { fd, rel: '.', stat: fstatSync(fd) };
      }
      const walked = this.walkParents(input, parts, false);
      if (Array.isArray(walked)) {
        parts = walked;
        continue;
      }
      const name = parts[parts.length - 1] as string;
      let fd: number;
      try {
        fd = openSync(at(walked, name), READ_FINAL);
      } catch (err) {
        const target = errnoOf(err) === 'ELOOP' ? linkAt(walked, name) : undefined;
        this.release(walked);
        if (target !== undefined) {
          parts = this.substitute(input, parts.slice(0, -1), target, []);
          continue;
        }
        // ENXIO: a socket; anything else keeps its errno meaning.
        if (errnoOf(err) === 'ENXIO') throw new NotARegularFileError(input);
        throw fromErrno(err, input);
      }
      this.release(walked);
      try {
        return { fd, rel: parts.join('/'), stat: fstatSync(fd) };
      } catch (err) {
        closeSync(fd);
        throw fromErrno(err, input);
      }
    }
  }

  /**
   * Opens a directory by a canonical path without following any symlink (walks, indexing): a component
   * that is not a real directory fails. The caller closes the descriptor.
   */
  openDirStrict(rel: string, flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW): number {
    // The magic link /proc/self/fd/N is itself a symlink: O_NOFOLLOW on it would fail.
    if (rel === '.') return openSync(at(this.fd), flags & ~O_NOFOLLOW);
    const parts = rel.split('/');
    let dirFd = this.fd;
    try {
      for (let i = 0; i < parts.length; i++) {
        const next = openSync(at(dirFd, parts[i] as string), i === parts.length - 1 ? flags : DIR_HANDLE);
        this.release(dirFd);
        dirFd = next;
      }
      return dirFd;
    } catch (err) {
      this.release(dirFd);
      throw err;
    }
  }

  /** A regular file by canonical path, no symlink followed anywhere; undefined for anything else. */
  openRegularStrict(rel: string): { fd: number; stat: Stats } | undefined {
    const slash = rel.lastIndexOf('/');
    let dirFd: number;
    try {
      dirFd = slash === -1 ? this.fd : this.openDirStrict(rel.slice(0, slash), DIR_HANDLE);
    } catch {
      return undefined;
    }
    try {
      return openRegularAt(dirFd, rel.slice(slash + 1));
    } finally {
      this.release(dirFd);
    }
  }
}

/** Workspace roots kept open between operations (see RootHandles). */
export const workspaceRoots = new RootHandles(DIR_HANDLE);

/** Runs `work` on the open workspace root (kept open for the next operation on it). */
export async function withWorkspace<T>(root: string, work: (ws: WorkspaceDir) => T | Promise<T>): Promise<T> {
  let handle: ReturnType<RootHandles['acquire']>;
  try {
    handle = workspaceRoots.acquire(root);
  } catch (err) {
    throw fromErrno(err, '.');
  }
  try {
    return await work(WorkspaceDir.over(root, handle.fd));
  } finally {
    workspaceRoots.release(handle);
  }
}

/** Opens `name` in `dirFd` if, and only if, it is a regular file (never a link, FIFO or device). */
export function openRegularAt(dirFd: number, name: string): { fd: number; stat: Stats } | undefined {
  let fd: number;
  try {
    fd = openSync(at(dirFd, name), READ_FINAL);
  } catch {
    return undefined;
  }
  const stat = fstatSync(fd);
  if (stat.isFile()) return { fd, stat };
  closeSync(fd);
  return undefined;
}

const readAsync = promisify(read);
/** Reads up to this much in one blocking burst; larger reads go through the threadpool. */
const SYNC_READ_MAX = 256 * 1024;

/**
 * Reads an open regular file, at most `max` bytes; undefined when it holds more (it may grow after fstat,
 * so one byte more than the cap is asked for rather than trusting the size).
 */
export async function readCapped(fd: number, size: number, max: number): Promise<Buffer | undefined> {
  let buf = Buffer.allocUnsafe(Math.min(size, max) + 1);
  let filled = 0;
  for (;;) {
    const n =
      buf.length - filled <= SYNC_READ_MAX
        ? readSync(fd, buf, filled, buf.length - filled, filled)
        : (await readAsync(fd, buf, filled, buf.length - filled, filled)).bytesRead;
    if (n === 0) break;
    filled += n;
    // Perf: having read exactly the fstat size of a local regular file means its end was reached, so the
    // usual second read, which would return 0, is skipped. Any other short read (a file that shrank, a
    // file system that returns less than asked) reads on until 0, so nothing is cut short. A file that
    // grew past its fstat size fills the request (one byte more than it had) and goes on below.
    if (filled === size && filled < buf.length) break;
    if (filled < buf.length) continue;
    if (filled > max) return undefined;
    // Grew since fstat: make room (up to one byte past the cap) rather than return a prefix as the whole.
    const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, max + 1));
    buf.copy(bigger, 0, 0, filled);
    buf = bigger;
  }
  return buf.subarray(0, filled);
}

/** Like readCapped for small files read whole and synchronously (.gitignore). */
export function readSmallAt(dirFd: number, name: string, max: number): string | undefined {
  const file = openRegularAt(dirFd, name);
  if (!file) return undefined;
  try {
    if (file.stat.size > max) return undefined;
    const buf = Buffer.allocUnsafe(file.stat.size + 1);
    let filled = 0;
    for (let n = 1; n > 0 && filled < buf.length; filled += n)
      n = readSync(file.fd, buf, filled, buf.length - filled, filled);
    // More than fstat said: it is being rewritten; better no rules than half of them.
    return filled > file.stat.size ? undefined : buf.toString('utf8', 0, filled);
  } finally {
    closeSync(file.fd);
  }
}

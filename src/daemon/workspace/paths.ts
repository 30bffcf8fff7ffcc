import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fromErrno, InvalidPathError, PathOutsideWorkspaceError } from '../errors.js';

export const MAX_PATH_LENGTH = 4096;

export interface ResolvedPath {
  /** Absolute, symlink-free location on disk (the final component is kept as-is with `followFinal: false`). */
  abs: string;
  /** Normalised path relative to the workspace root, with `/` separators; `.` for the root itself. */
  rel: string;
}

/**
 * Lexical checks that need no disk: type, NUL, length, absolute paths and `..` escapes.
 * Returns the normalised relative path (`.` for the root).
 */
export function normalizeRelative(input: string): string {
  if (typeof input !== 'string') throw new InvalidPathError('path must be a string');
  if (input.includes('\0')) throw new InvalidPathError('path contains a NUL byte');
  if (input.length > MAX_PATH_LENGTH) throw new InvalidPathError(`path is longer than ${MAX_PATH_LENGTH} characters`);
  const trimmed = input === '' ? '.' : input;
  // Security: a leading '/' or a drive letter would make path.join ignore the root on some platforms.
  if (path.posix.isAbsolute(trimmed) || path.win32.isAbsolute(trimmed)) {
    throw new PathOutsideWorkspaceError(input);
  }
  const normalized = path.posix.normalize(trimmed.replaceAll('\\', '/'));
  if (normalized === '..' || normalized.startsWith('../')) throw new PathOutsideWorkspaceError(input);
  const rel = normalized.replace(/\/+$/, '');
  return rel === '' ? '.' : rel;
}

export function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/**
 * Resolves the longest existing prefix of `abs` with realpath and re-appends the missing tail.
 * Missing components cannot be symlinks, so the result is what the path will mean once created.
 * Security: a dangling symlink makes realpath fail like a missing file, yet writing through it would
 * create its target; so a component that lstat sees but realpath cannot resolve is followed by hand.
 * Perf: these are metadata syscalls that take microseconds; the sync forms skip a libuv threadpool round
 * trip each, which dominated the latency of small reads.
 */
function realpathOfExistingPrefix(abs: string): string {
  const tail: string[] = [];
  let current = abs;
  for (let hops = 0; ; ) {
    try {
      const real = realpathSync.native(current);
      return tail.length === 0 ? real : path.join(real, ...[...tail].reverse());
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      const link = lstatSync(current, { throwIfNoEntry: false });
      if (link?.isSymbolicLink()) {
        if (++hops > 40) throw Object.assign(new Error('too many symlinks'), { code: 'ELOOP' });
        current = path.resolve(path.dirname(current), readlinkSync(current));
        continue;
      }
      const parent = path.dirname(current);
      if (parent === current) throw err;
      tail.push(path.basename(current));
      current = parent;
    }
  }
}

/**
 * Check-then-use resolution for paths handed to a command's sandbox (exec and terminal cwd, git), whose
 * use happens inside the sandbox's own view of the workspace. Security: never use it to open a workspace
 * file from the daemon: a process can swap a checked directory for a symlink before the use; file
 * operations go through WorkspaceDir (workspace-dir.ts) instead. `root` must already be a realpath.
 * Resolves symlinks (also for files that do not exist yet, through their existing ancestors) and refuses
 * anything that lands outside the root. With `followFinal: false` the last component is not followed, so
 * a symlink itself can be deleted or moved even when it points elsewhere.
 */
export async function resolveInWorkspace(
  root: string,
  input: string,
  options: { followFinal?: boolean } = {},
): Promise<ResolvedPath> {
  const rel = normalizeRelative(input);
  const lexical = rel === '.' ? root : path.join(root, rel);
  let abs: string;
  try {
    if (options.followFinal === false && rel !== '.') {
      const parent = realpathOfExistingPrefix(path.dirname(lexical));
      abs = path.join(parent, path.basename(lexical));
    } else {
      abs = realpathOfExistingPrefix(lexical);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw new InvalidPathError('too many symlinks', input);
    throw fromErrno(err, input);
  }
  if (!isInside(root, abs)) throw new PathOutsideWorkspaceError(input);
  return { abs, rel: toRel(root, abs) };
}

export function toRel(root: string, abs: string): string {
  const rel = path.relative(root, abs).split(path.sep).join('/');
  return rel === '' ? '.' : rel;
}

import { closeSync, constants, type Dirent, openSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import ignore, { type Ignore } from 'ignore';
import { isTempName } from '../../shared/atomic-write.js';
import { at, O_PATH, readSmallAt, type WorkspaceDir } from './workspace-dir.js';

/** A .gitignore matcher anchored at the directory that holds it. */
interface Matcher {
  base: string;
  ig: Ignore;
}

export interface WalkEntry {
  rel: string;
  /**
   * The entry as a path pinned by its directory's descriptor (`/proc/self/fd/N/name`): valid until the walk
   * moves on. Open it with O_NOFOLLOW (openRegularAt, lstat): never by `rel`, which a process may redirect.
   */
  at: string;
  dirFd: number;
  dirent: Dirent;
  depth: number;
}

export interface WalkOptions {
  /** 1 = only the start directory's children. */
  maxDepth: number;
  /** Honour .gitignore files (root and nested) found on the way down. */
  gitignore: boolean;
  /** Directory names never descended into (still yielded). */
  skipDirs?: ReadonlySet<string>;
  signal?: AbortSignal;
}

/** Security: a .gitignore is read only when it is a regular file of at most this size (never a FIFO or /dev/zero). */
export const GITIGNORE_MAX_BYTES = 256 * 1024;
const { O_DIRECTORY, O_NOFOLLOW } = constants;

function loadMatcher(dirFd: number, relDir: string): Matcher | undefined {
  const text = readSmallAt(dirFd, '.gitignore', GITIGNORE_MAX_BYTES);
  return text === undefined ? undefined : { base: relDir, ig: ignore().add(text) };
}

function ignoredBy(matchers: readonly Matcher[], rel: string, isDir: boolean): boolean {
  for (const m of matchers) {
    const sub = m.base === '.' ? rel : rel.slice(m.base.length + 1);
    if (sub && m.ig.ignores(isDir ? `${sub}/` : sub)) return true;
  }
  return false;
}

/**
 * Ancestors' .gitignore files between the root and `startRel`, so a walk that starts in a subdirectory
 * still honours the rules above it.
 */
function ancestorMatchers(ws: WorkspaceDir, startRel: string): Matcher[] {
  const matchers: Matcher[] = [];
  const parts = startRel === '.' ? [] : startRel.split('/');
  for (let i = 0; i <= parts.length; i++) {
    const rel = i === 0 ? '.' : parts.slice(0, i).join('/');
    let fd: number;
    try {
      fd = ws.openDirStrict(rel, O_PATH | O_DIRECTORY | O_NOFOLLOW);
    } catch {
      break;
    }
    try {
      const m = loadMatcher(fd, rel);
      if (m) matchers.push(m);
    } finally {
      closeSync(fd);
    }
  }
  return matchers;
}

/**
 * Breadth-first walk under `startRel` (a canonical path: no symlink in it), sorted by name within each
 * directory, never following symlinks (they are yielded as entries, not descended). Every directory is
 * reopened from the root descriptor without following links, so a directory swapped for a symlink
 * mid-walk is skipped rather than read. Disco's own writes in flight (`.<name>.<hex>.disco-tmp`) are left out.
 */
export async function* walkWorkspace(
  ws: WorkspaceDir,
  startRel: string,
  options: WalkOptions,
): AsyncGenerator<WalkEntry> {
  const queue: { rel: string; depth: number; matchers: Matcher[] }[] = [
    { rel: startRel, depth: 1, matchers: options.gitignore ? ancestorMatchers(ws, startRel) : [] },
  ];
  while (queue.length > 0) {
    const dir = queue.shift();
    if (!dir) break;
    if (options.signal?.aborted) return;
    let dirFd: number;
    try {
      dirFd = ws.openDirStrict(dir.rel);
    } catch {
      continue; // vanished, unreadable or swapped for a link mid-walk: skip it rather than fail the walk
    }
    try {
      let entries: Dirent[];
      try {
        entries = await readdir(at(dirFd), { withFileTypes: true });
      } catch {
        continue;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const dirent of entries) {
        const rel = dir.rel === '.' ? dirent.name : `${dir.rel}/${dirent.name}`;
        const isDir = dirent.isDirectory();
        // Disco's own writes in flight (temp + rename): a search, listing, index or archive that met one
        // would show a file under a name that is about to vanish.
        if (!isDir && isTempName(dirent.name)) continue;
        if (options.gitignore && ignoredBy(dir.matchers, rel, isDir)) continue;
        yield { rel, at: at(dirFd, dirent.name), dirFd, dirent, depth: dir.depth };
        if (isDir && dir.depth < options.maxDepth && !options.skipDirs?.has(dirent.name)) {
          let matchers = dir.matchers;
          if (options.gitignore) {
            const own = childMatcher(dirFd, dirent.name, rel);
            if (own) matchers = [...matchers, own];
          }
          queue.push({ rel, depth: dir.depth + 1, matchers });
        }
      }
    } finally {
      closeSync(dirFd);
    }
  }
}

/** The .gitignore of a child directory, read through a descriptor of the child itself. */
function childMatcher(dirFd: number, name: string, rel: string): Matcher | undefined {
  let child: number;
  try {
    child = openSync(at(dirFd, name), O_PATH | O_DIRECTORY | O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    return loadMatcher(child, rel);
  } finally {
    closeSync(child);
  }
}

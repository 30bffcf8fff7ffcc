import type { Dirent } from 'node:fs';
import { opendir, readFile } from 'node:fs/promises';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';

/** A .gitignore matcher anchored at the directory that holds it. */
interface Matcher {
  base: string;
  ig: Ignore;
}

export interface WalkEntry {
  rel: string;
  abs: string;
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

async function loadMatcher(absDir: string, relDir: string): Promise<Matcher | undefined> {
  try {
    const text = await readFile(path.join(absDir, '.gitignore'), 'utf8');
    return { base: relDir, ig: ignore().add(text) };
  } catch {
    return undefined;
  }
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
async function ancestorMatchers(root: string, startRel: string): Promise<Matcher[]> {
  const matchers: Matcher[] = [];
  const parts = startRel === '.' ? [] : startRel.split('/');
  for (let i = 0; i <= parts.length; i++) {
    const rel = i === 0 ? '.' : parts.slice(0, i).join('/');
    const m = await loadMatcher(path.join(root, rel), rel);
    if (m) matchers.push(m);
  }
  return matchers;
}

/**
 * Breadth-first walk under `root/startRel`, sorted by name within each directory, never following
 * symlinks (they are yielded as entries, not descended).
 */
export async function* walkWorkspace(root: string, startRel: string, options: WalkOptions): AsyncGenerator<WalkEntry> {
  const queue: { abs: string; rel: string; depth: number; matchers: Matcher[] }[] = [
    {
      abs: startRel === '.' ? root : path.join(root, startRel),
      rel: startRel,
      depth: 1,
      matchers: options.gitignore ? await ancestorMatchers(root, startRel) : [],
    },
  ];
  while (queue.length > 0) {
    const dir = queue.shift();
    if (!dir) break;
    if (options.signal?.aborted) return;
    let entries: Dirent[];
    try {
      const handle = await opendir(dir.abs);
      entries = [];
      for await (const d of handle) entries.push(d);
    } catch {
      continue; // vanished or unreadable mid-walk: skip it rather than fail the whole walk
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const dirent of entries) {
      const rel = dir.rel === '.' ? dirent.name : `${dir.rel}/${dirent.name}`;
      const isDir = dirent.isDirectory();
      if (options.gitignore && ignoredBy(dir.matchers, rel, isDir)) continue;
      const abs = path.join(dir.abs, dirent.name);
      yield { rel, abs, dirent, depth: dir.depth };
      if (isDir && dir.depth < options.maxDepth && !options.skipDirs?.has(dirent.name)) {
        let matchers = dir.matchers;
        if (options.gitignore) {
          const own = await loadMatcher(abs, rel);
          if (own) matchers = [...matchers, own];
        }
        queue.push({ abs, rel, depth: dir.depth + 1, matchers });
      }
    }
  }
}

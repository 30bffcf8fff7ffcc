import { closeSync } from 'node:fs';
import { DiscoError, ValidationError } from '../errors.js';
import { isBinary } from './content.js';
import { workspaceGlob } from './glob-match.js';
import { type LineHit, type LineMatcher, scanLines } from './line-scan.js';
import { compileLinearRegex } from './linear-regex.js';
import { MAX_REGEX_THREADS, RegexThread, regexSlot } from './regex-thread.js';
import { walkWorkspace } from './walk.js';
import { openRegularAt, readCapped, type WorkspaceDir, withWorkspace } from './workspace-dir.js';

export interface SearchInput {
  path: string;
  glob?: string;
  query?: string;
  regex: boolean;
  caseSensitive: boolean;
  maxResults: number;
  includeIgnored: boolean;
}

export interface SearchMatch {
  path: string;
  line?: number;
  column?: number;
  text?: string;
}

export interface SearchLimits {
  /** Files larger than this are not searched for content. */
  maxFileBytes: number;
  maxFilesScanned: number;
  deadlineMs: number;
}

export const DEFAULT_SEARCH_LIMITS: SearchLimits = {
  maxFileBytes: 2 * 1024 * 1024,
  maxFilesScanned: 50_000,
  deadlineMs: 10_000,
};

/** Perf: the longest stretch a search runs before letting other requests in (the budget is 50 ms). */
const SLICE_MS = 10;

/** Gives the event loop a turn once `SLICE_MS` have passed since the last one. */
function cooperativeYield(): () => Promise<void> | undefined {
  let last = performance.now();
  return () => {
    if (performance.now() - last < SLICE_MS) return undefined;
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        last = performance.now();
        resolve();
      }),
    );
  };
}
const DEFAULT_SKIP = new Set(['.git', 'node_modules']);

/** A literal query runs here (indexOf is native and fast); a regex runs in a RegexThread. */
function literalMatcher(query: string, caseSensitive: boolean): LineMatcher {
  if (caseSensitive) return (line) => line.indexOf(query);
  const q = query.toLowerCase();
  return (line) => line.toLowerCase().indexOf(q);
}

/**
 * Finds files by glob and/or lines by literal or regex query, honouring .gitignore (and skipping .git and
 * node_modules) unless `includeIgnored`. Bounded by result count, files scanned and a deadline.
 */
export async function searchWorkspace(
  root: string,
  input: SearchInput,
  limits = DEFAULT_SEARCH_LIMITS,
  signal?: AbortSignal,
) {
  if (!input.glob && !input.query) throw new ValidationError('give a glob, a query, or both');
  return withWorkspace(root, async (ws) => {
    const base = ws.openFollow(input.path);
    closeSync(base.fd);
    if (!base.stat.isDirectory())
      throw new DiscoError('not_a_directory', `'${input.path}' is not a directory`, { path: input.path });
    const globMatch = input.glob ? workspaceGlob(input.glob) : undefined;
    if (input.query && input.regex) compileLinearRegex(input.query, input.caseSensitive); // errors before any work
    const match = input.query && !input.regex ? literalMatcher(input.query, input.caseSensitive) : undefined;
    if (!(input.query && input.regex)) return scan(ws, base.rel, input, limits, { globMatch, match }, signal);
    // A regex runs in a thread of its own, one of a bounded number daemon-wide (waiting its turn counts
    // against the search's deadline).
    const deadline = Date.now() + limits.deadlineMs;
    const release = await regexSlot(deadline);
    if (!release) {
      throw new DiscoError('rate_limited', 'too many regex searches are running; try again in a moment', {
        running: MAX_REGEX_THREADS,
      });
    }
    const regexThread = new RegexThread(input.query, input.caseSensitive);
    try {
      const left = { ...limits, deadlineMs: Math.max(0, deadline - Date.now()) };
      return await scan(ws, base.rel, input, left, { globMatch, match, regexThread }, signal);
    } finally {
      await regexThread.close();
      release();
    }
  });
}

interface Matchers {
  globMatch: ((p: string) => boolean) | undefined;
  match: LineMatcher | undefined;
  regexThread?: RegexThread | undefined;
}

async function scan(
  ws: WorkspaceDir,
  baseRel: string,
  input: SearchInput,
  limits: SearchLimits,
  { globMatch, match, regexThread }: Matchers,
  signal?: AbortSignal,
) {
  const deadline = Date.now() + limits.deadlineMs;
  const matches: SearchMatch[] = [];
  let filesScanned = 0;
  let truncated = false;
  let reason: string | undefined;
  const maybeYield = cooperativeYield();

  for await (const e of walkWorkspace(ws, baseRel, {
    maxDepth: 64,
    gitignore: !input.includeIgnored,
    skipDirs: input.includeIgnored ? new Set(['.git']) : DEFAULT_SKIP,
    ...(signal ? { signal } : {}),
  })) {
    await maybeYield();
    if (!e.dirent.isFile()) continue;
    if (globMatch && !globMatch(e.rel)) continue;
    if (++filesScanned > limits.maxFilesScanned || Date.now() > deadline) {
      truncated = true;
      reason = filesScanned > limits.maxFilesScanned ? 'file scan limit reached' : 'time limit reached';
      break;
    }
    if (!match && !regexThread) {
      matches.push({ path: e.rel });
      if (matches.length >= input.maxResults) {
        truncated = true;
        reason = 'maxResults reached';
        break;
      }
      continue;
    }
    // Security: opened through the directory the walk holds, never by name; only a regular file is read.
    const file = openRegularAt(e.dirFd, e.dirent.name);
    if (!file) continue;
    let data: Buffer | undefined;
    try {
      if (file.stat.size <= limits.maxFileBytes) data = await readCapped(file.fd, file.stat.size, limits.maxFileBytes);
    } finally {
      closeSync(file.fd);
    }
    if (!data || isBinary(data)) continue;
    const text = data.toString('utf8');
    const room = input.maxResults - matches.length;
    const hits: LineHit[] | 'timeout' = regexThread
      ? await regexThread.scan(text, room, deadline)
      : scanLines(text, match as LineMatcher, room);
    if (hits === 'timeout') {
      truncated = true;
      reason = 'time limit reached';
      break;
    }
    for (const hit of hits) matches.push({ path: e.rel, ...hit });
    if (matches.length >= input.maxResults) {
      truncated = true;
      reason = 'maxResults reached';
      break;
    }
  }
  return {
    matches,
    filesScanned: Math.min(filesScanned, limits.maxFilesScanned),
    truncated,
    ...(reason ? { reason } : {}),
  };
}

import { readFile, stat } from 'node:fs/promises';
import { DiscoError, ValidationError } from '../errors.js';
import { isBinary } from './content.js';
import { workspaceGlob } from './glob-match.js';
import { compileLinearRegex } from './linear-regex.js';
import { resolveInWorkspace } from './paths.js';
import { walkWorkspace } from './walk.js';

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

const MAX_LINE_TEXT = 400;
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

type LineMatcher = (line: string) => number; // column index of the first match, or -1

function lineMatcher(query: string, regex: boolean, caseSensitive: boolean): LineMatcher {
  if (regex) {
    const re = compileLinearRegex(query, caseSensitive);
    return (line) => line.search(re);
  }
  if (caseSensitive) return (line) => line.indexOf(query);
  const q = query.toLowerCase();
  return (line) => line.toLowerCase().indexOf(q);
}

/** Cuts long lines (minified code) to a window around the match so results stay readable and small. */
function excerpt(line: string, column: number): string {
  if (line.length <= MAX_LINE_TEXT) return line;
  const from = Math.max(0, column - 100);
  return `${from > 0 ? '…' : ''}${line.slice(from, from + MAX_LINE_TEXT)}…`;
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
  const base = await resolveInWorkspace(root, input.path);
  const s = await stat(base.abs).catch(() => undefined);
  if (!s) throw new DiscoError('not_found', `'${input.path}' not found`, { path: input.path });
  if (!s.isDirectory())
    throw new DiscoError('not_a_directory', `'${input.path}' is not a directory`, { path: input.path });
  const globMatch = input.glob ? workspaceGlob(input.glob) : undefined;
  const match = input.query ? lineMatcher(input.query, input.regex, input.caseSensitive) : undefined;
  const deadline = Date.now() + limits.deadlineMs;
  const matches: SearchMatch[] = [];
  let filesScanned = 0;
  let truncated = false;
  let reason: string | undefined;
  const maybeYield = cooperativeYield();

  walk: for await (const e of walkWorkspace(root, base.rel, {
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
    if (!match) {
      matches.push({ path: e.rel });
      if (matches.length >= input.maxResults) {
        truncated = true;
        reason = 'maxResults reached';
        break;
      }
      continue;
    }
    const fileStat = await stat(e.abs).catch(() => undefined);
    if (!fileStat || fileStat.size > limits.maxFileBytes) continue;
    const data = await readFile(e.abs).catch(() => undefined);
    if (!data || isBinary(data)) continue;
    const lines = data.toString('utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (i % 256 === 255) await maybeYield();
      const line = (lines[i] as string).replace(/\r$/, '');
      const col = match(line);
      if (col === -1) continue;
      matches.push({ path: e.rel, line: i + 1, column: col + 1, text: excerpt(line, col) });
      if (matches.length >= input.maxResults) {
        truncated = true;
        reason = 'maxResults reached';
        break walk;
      }
    }
  }
  return {
    matches,
    filesScanned: Math.min(filesScanned, limits.maxFilesScanned),
    truncated,
    ...(reason ? { reason } : {}),
  };
}

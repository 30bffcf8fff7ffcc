import { DiscoError } from '../errors.js';
import { redactUrl } from './git-remote.js';
import type { GitResult } from './git-runner.js';

/** The directories a git error could name: the workspace, and Disco's own. */
export interface GitPlaces {
  root: string;
  stateDir: string;
  containersDir: string;
}

/**
 * Server paths in git's words, as the container sees them: the workspace is `.` (relative paths under it),
 * and Disco's own directories are never named. Security: a client must never learn where the daemon lives.
 */
export function hidePaths(text: string, ctx: GitPlaces): string {
  let out = text;
  const root = ctx.root.replace(/\/+$/, '');
  if (root) out = out.split(`${root}/`).join('').split(root).join('.');
  for (const dir of [ctx.containersDir, ctx.stateDir].map((d) => d.replace(/\/+$/, '')).filter(Boolean)) {
    out = out.split(dir).join('<disco>');
  }
  return out;
}

/**
 * A failed git command, saying what git said: its stderr, or its stdout when that is where it spoke
 * (`git commit` with nothing to commit prints "nothing to commit, working tree clean" there).
 */
export function fail(ctx: GitPlaces, what: string, r: GitResult): never {
  const said = (text: string) =>
    hidePaths(redactUrl(text), ctx)
      .trim()
      .split('\n')
      .map((l) => l.replace(/\s*\(use "git [^)]*\)/g, '').trim())
      .filter((l) => l && !l.startsWith('hint:'));
  const stderr = said(r.stderr);
  const lines = stderr.length > 0 ? stderr : said(r.stdout.toString('utf8'));
  const text = lines.slice(-3).join('; ').slice(0, 500);
  throw new DiscoError('git_failed', text ? `git ${what}: ${text}` : `git ${what} failed (exit ${r.exitCode})`);
}

/**
 * `git commit` with nothing staged prints its status listing and "nothing added to commit but untracked
 * files present (use "git add" to track)": there is no `git add` here, so say what to pass instead.
 */
export function nothingStaged(err: unknown): DiscoError | undefined {
  if (!(err instanceof DiscoError) || err.code !== 'git_failed') return undefined;
  if (!/nothing added to commit|no changes added to commit/.test(err.message)) return undefined;
  const untracked = /untracked files present/.test(err.message) ? ' (untracked files are present)' : '';
  return new DiscoError(
    'git_failed',
    `git commit: nothing to commit: no changes are staged${untracked}; name the paths to commit, ` +
      'or pass tracked: true (changes to tracked files) or all: true (new files too)',
  );
}

import { ApiError, DaemonUnreachableError } from './client.js';

/**
 * The daemon's messages name API fields; the CLI's user types flags. One table maps the hints
 * (`disco call` keeps the API's words: there the user writes the JSON fields).
 */
const API_FIELD_TO_FLAG: readonly [RegExp, string][] = [
  [/\boverwrite: true\b/g, '-f'],
  [/\brecursive: true\b/g, '-r'],
  // git commit: -a is tracked: true (as in git); new files are named, `.` for all of them.
  [/\btracked: true\b/g, '-a'],
  [/\ball: true \(new files too\)/g, "'.' as the path (new files too)"],
  [/\bstartLine\b/g, '--start'],
  [/\bendLine\b/g, '--end'],
  [/\btimeoutMs\b/g, '--timeout'],
  [/\bifMatch\b/g, '--if-match'],
  [/\bexpiresInDays\b/g, '--expires-in-days'],
  // Numeric fields a flag of the same name fills, named at the start of a validation message ("k: Too small…").
  [/^(limit|depth): /, '--$1: '],
  [/^maxResults: /, '--max: '],
  [/^k: /, '-k: '],
];

export function speakFlags(message: string): string {
  return API_FIELD_TO_FLAG.reduce((m, [field, flag]) => m.replace(field, flag), message);
}

/** A stable code for every error the CLI reports (the daemon's code when it answered). */
export function errorCode(err: unknown): string {
  if (err instanceof ApiError) return err.code;
  if (err instanceof DaemonUnreachableError) return 'daemon_unreachable';
  if (err instanceof Error && err.name === 'ConfigError') return 'invalid_config';
  return 'error';
}

export function describeError(err: unknown, command: string | undefined): string {
  if (err instanceof ApiError) return `${command === 'call' ? err.message : speakFlags(err.message)} [${err.code}]`;
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') return `${err.message}: another process uses this port; pick another with --port`;
    return err.message;
  }
  return String(err);
}

/** `{"error":{"code","message"}}`: what a script reading `--json` output gets instead of a sentence. */
export function jsonError(err: unknown, command: string | undefined): string {
  const message = describeError(err, command).replace(/ \[[a-z_]+\]$/, '');
  const details = err instanceof ApiError && err.details ? { details: err.details } : {};
  return JSON.stringify({ error: { code: errorCode(err), message, ...details } });
}

/** The command and whether `--json` was asked for (options after `--` belong to the command run). */
export function parseIntent(argv: readonly string[]): { command: string | undefined; json: boolean } {
  const args = argv.slice(2);
  const end = args.indexOf('--');
  const own = end < 0 ? args : args.slice(0, end);
  return { command: own.find((a) => !a.startsWith('-')), json: own.includes('--json') };
}

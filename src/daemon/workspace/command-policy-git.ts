import path from 'node:path';

/**
 * Allow-list mode lets `git` run, but git runs programs of its own: `git -c alias.x='!cmd' x`, `-c
 * core.pager=…`, `--exec-path=<dir>`, `--upload-pack=<cmd>`, `rebase --exec`, `bisect run`, `ext::` URLs,
 * `GIT_*=` in front of it. This refuses those shapes. It is defence in depth, not a boundary: a
 * repository's own .git/config (written with any allowed program) still names hooks, filters, editors…;
 * the sandbox is what confines them (docs/security/git.md).
 */

/** Global options that take no value and change nothing git runs. */
const SAFE_GLOBAL = new Set([
  '--no-pager',
  '-P',
  '--bare',
  '--no-replace-objects',
  '--literal-pathspecs',
  '--glob-pathspecs',
  '--noglob-pathspecs',
  '--icase-pathspecs',
  '--no-optional-locks',
  '--version',
  '-v',
  '--help',
  '-h',
  '--exec-path', // bare: prints the path
  '--html-path',
  '--man-path',
  '--info-path',
]);

/**
 * Built-in commands allowed in allow-list mode. A name outside it may be an alias (`alias.x = !cmd`),
 * so it is refused; commands whose purpose is to run programs are left out on purpose (config, hook,
 * bisect, submodule, difftool, mergetool, filter-branch, for-each-repo, maintenance, daemon, …).
 */
const BUILTINS = new Set(
  (
    'add annotate apply archive blame branch bundle cat-file check-attr check-ignore check-ref-format checkout ' +
    'checkout-index cherry cherry-pick clean clone commit commit-tree count-objects describe diff diff-files ' +
    'diff-index diff-tree fetch for-each-ref format-patch fsck gc grep hash-object help init log ls-files ' +
    'ls-remote ls-tree merge merge-base merge-file merge-tree mv notes pull push range-diff read-tree rebase ' +
    'reflog remote repack replace reset restore rev-list rev-parse revert rm shortlog show show-branch show-ref ' +
    'sparse-checkout stash status switch symbolic-ref tag update-index update-ref var verify-commit verify-tag ' +
    'version whatchanged worktree write-tree'
  ).split(' '),
);

/** Options of a subcommand that name a program (or a template or config that does). */
const PROGRAM_OPTIONS: Record<string, RegExp> = {
  '*': /^(--upload-pack|--receive-pack|--exec)(=|$)/,
  fetch: /^-u/,
  pull: /^-u/,
  clone: /^(-u|-c|--config|--template|--separate-git-dir)/,
  'ls-remote': /^-u/,
  archive: /^--remote/,
  init: /^(--template|--separate-git-dir)/,
  rebase: /^(-x|-i$|--interactive)/,
};

/** Shell words of one simple command: whitespace-separated, quotes and backslashes removed. */
export function shellWords(segment: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: '"' | "'" | null = null;
  let inWord = false;
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i] as string;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < segment.length) word += segment[++i];
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < segment.length) {
      word += segment[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Variables through which git (or the loader) picks programs or config: GIT_CONFIG_*, GIT_EXEC_PATH, … */
const GIT_SENSITIVE_ENV = /^(GIT_|LD_|SSH_|XDG_)|^(PAGER|EDITOR|VISUAL|HOME|PATH|BASH_ENV|ENV)$/;

/** Why this simple command (its words) is refused, if it runs git in a way that runs other programs. */
export function gitRefusal(words: readonly string[]): string | undefined {
  let i = 0;
  const assigned: string[] = [];
  for (; i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i] as string); i++) {
    assigned.push((words[i] as string).split('=')[0] as string);
  }
  if (path.basename(words[i] ?? '') !== 'git') return undefined;
  const sensitive = assigned.find((name) => GIT_SENSITIVE_ENV.test(name));
  if (sensitive) return `${sensitive} set for git`;
  for (i++; i < words.length && (words[i] as string).startsWith('-'); i++) {
    const opt = words[i] as string;
    if (!SAFE_GLOBAL.has(opt)) return `git's global option ${opt.split('=')[0]}`;
  }
  const sub = words[i];
  if (sub === undefined) return undefined;
  if (!BUILTINS.has(sub)) return `git ${sub} (not an allowed built-in: it may be an alias or run programs)`;
  for (const arg of words.slice(i + 1)) {
    if (/^(ext|fd)::/.test(arg)) return `a git ${arg.split('::')[0]}:: transport`;
    for (const key of ['*', sub]) {
      if (PROGRAM_OPTIONS[key]?.test(arg)) return `git ${sub} ${arg.split('=')[0]}`;
    }
  }
  return undefined;
}

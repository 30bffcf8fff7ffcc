import path from 'node:path';
import { DiscoError } from '../errors.js';
import { gitRefusal, shellWords } from './command-policy-git.js';

/** A deny rule: a regular expression, or a check of the same meaning written as code (`source` names it). */
export type DenyRule = Pick<RegExp, 'source' | 'test'>;

/**
 * `dd … of=/dev/<disk>` in one simple command: the first `dd` word of a command (between `|`, `;`, `&`) with
 * `of=/dev/<disk>` after it. Security (event loop): as the regular expression of `source`, V8 took ~170 ns a
 * character on a line without separators (a negative lookahead and a backtrack per character): an argv of
 * 10,000 arguments (5 MB) held the event loop for a second. This walk reads each character a bounded number
 * of times: each command from its first `dd`, and the `of=` search is remembered across commands.
 */
function ddToDisk(): DenyRule {
  const source = '(?:^|[|;&])(?:(?!\\bdd\\b)[^|;&])*\\bdd\\b[^|;&]*\\bof=\\/dev\\/(sd|nvme|hd|vd|xvd|mmcblk)';
  return {
    source,
    test(line: string): boolean {
      const dd = /\bdd\b/g;
      const separator = /[|;&]/g;
      const of = /\bof=\/dev\/(sd|nvme|hd|vd|xvd|mmcblk)/g;
      let nextOf: number | undefined; // the first `of=/dev/<disk>` at or after `of.lastIndex`, -1 for none
      for (let m = dd.exec(line); m; m = dd.exec(line)) {
        separator.lastIndex = m.index;
        const end = separator.exec(line)?.index ?? line.length;
        const from = m.index + 2;
        if (nextOf === undefined || (nextOf >= 0 && nextOf < from)) {
          of.lastIndex = from;
          nextOf = of.exec(line)?.index ?? -1;
        }
        if (nextOf < 0) return false;
        if (nextOf < end) return true;
        dd.lastIndex = end; // only the first dd of each command counts
      }
      return false;
    },
  };
}

/**
 * Patterns of clearly destructive commands refused by default. Defence in depth, not a security
 * boundary (the sandbox is): a determined caller can always write a script that does the same.
 */
export const DEFAULT_DENY: readonly DenyRule[] = [
  // Security: client command lines run through these with the backtracking engine, so each is written to
  // have one way to match a given text (linear time): the first word holding r/R is the recursive flag,
  // and dd's `of=` is looked for only after the first dd of each simple command.
  /\brm\s+(?:-[a-qs-zA-QS-Z]*\s+)*-[a-qs-zA-QS-Z]*[rR][a-zA-Z]*(?:\s+-[a-zA-Z-]+)*\s+(\/|\/\*|~|\$HOME)(\s|$)/, // rm -rf / (or ~)
  /--no-preserve-root/,
  /:\(\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:/, // the classic fork bomb
  /\bmkfs(\.\w+)?\b/,
  ddToDisk(),
  />\s*\/dev\/(sd|nvme|hd|vd|xvd|mmcblk)\w*/,
  /(^|[;&|(]\s*|\bsudo\s+)(shutdown|reboot|halt|poweroff)(\s|$)/, // in command position only
  /\bchmod\s+(-[a-zA-Z]+\s+)*[0-7]{3,4}\s+\/(\s|$)/,
];

export interface PolicyConfig {
  mode: 'deny-list' | 'allow-list';
  /** Extra deny patterns (regular expressions), on top of the defaults. */
  deny: readonly string[];
  /** In allow-list mode: program names that may start a command. */
  allow: readonly string[];
}

const SEPARATORS = /\|\||&&|[|;&\n()`]|\$\(/;

/** First word of each simple command in a shell line: `a | b && c; d` → a, b, c, d. */
export function shellProgramNames(line: string): string[] {
  return line
    .split(SEPARATORS)
    .map((part) => part.trim().replace(/^(\w+=\S*\s+)+/, '')) // drop leading VAR=value assignments
    .filter((part) => part !== '')
    .map((part) => path.basename(part.split(/\s+/)[0] ?? ''));
}

/** Checked before a command starts (exec and, later, terminal input); refusals are typed errors. */
export class CommandPolicy {
  private readonly deny: DenyRule[];
  private readonly allow: ReadonlySet<string>;

  constructor(private readonly config: PolicyConfig) {
    this.deny = [...DEFAULT_DENY, ...config.deny.map((p) => new RegExp(p))];
    this.allow = new Set(config.allow);
  }

  /** Throws `command_refused` with the rule that matched; returns quietly when the command may run. */
  check(command: string | readonly string[], shell: boolean, env: Readonly<Record<string, string>> = {}): void {
    const line = typeof command === 'string' ? command : command.join(' ');
    for (const rule of this.deny) {
      if (rule.test(line)) {
        throw new DiscoError('command_refused', 'the command policy refuses this command', { rule: rule.source });
      }
    }
    if (this.config.mode === 'allow-list') {
      const programs =
        shell || typeof command === 'string' ? shellProgramNames(line) : [path.basename(command[0] ?? '')];
      const refused = programs.filter((p) => !this.allow.has(p));
      if (refused.length > 0) {
        throw new DiscoError(
          'command_refused',
          `the command policy allows only listed programs; not: ${refused.join(', ')}`,
          {
            refused,
          },
        );
      }
      const commands = shell || typeof command === 'string' ? line.split(SEPARATORS).map(shellWords) : [[...command]];
      // Security: variables given beside the command reach git too (GIT_CONFIG_COUNT/KEY/VALUE set any key).
      const assignments = Object.keys(env).map((name) => `${name}=`);
      for (const words of commands) {
        const why = gitRefusal([...assignments, ...words]);
        if (why) {
          throw new DiscoError('command_refused', `the command policy refuses ${why} in allow-list mode`, {
            refused: ['git'],
          });
        }
      }
    }
  }
}

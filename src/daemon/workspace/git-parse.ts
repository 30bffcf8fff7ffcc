/** Pure parsers for git's machine-readable output; tested directly. */

export interface GitStatusEntry {
  path: string;
  origPath?: string;
  kind: 'changed' | 'renamed' | 'unmerged' | 'untracked' | 'ignored';
  /** Index (staged) and worktree status letters, '.' for unchanged. */
  index: string;
  worktree: string;
}

export interface GitStatus {
  branch: { head: string | null; oid: string | null; upstream: string | null; ahead: number; behind: number };
  entries: GitStatusEntry[];
  clean: boolean;
}

/** Parses `git status --porcelain=v2 --branch -z`. */
export function parseStatusV2(out: string): GitStatus {
  const branch: GitStatus['branch'] = { head: null, oid: null, upstream: null, ahead: 0, behind: 0 };
  const entries: GitStatusEntry[] = [];
  const fields = out.split('\0');
  for (let i = 0; i < fields.length; i++) {
    const rec = fields[i] as string;
    if (rec === '') continue;
    if (rec.startsWith('# ')) {
      const [key, ...rest] = rec.slice(2).split(' ');
      const value = rest.join(' ');
      if (key === 'branch.oid') branch.oid = value === '(initial)' ? null : value;
      else if (key === 'branch.head') branch.head = value === '(detached)' ? null : value;
      else if (key === 'branch.upstream') branch.upstream = value;
      else if (key === 'branch.ab') {
        const m = /^\+(\d+) -(\d+)$/.exec(value);
        if (m) {
          branch.ahead = Number(m[1]);
          branch.behind = Number(m[2]);
        }
      }
      continue;
    }
    const type = rec[0];
    if (type === '?' || type === '!') {
      entries.push({ path: rec.slice(2), kind: type === '?' ? 'untracked' : 'ignored', index: '?', worktree: '?' });
    } else if (type === '1') {
      const parts = splitN(rec, 9);
      const xy = parts[1] ?? '..';
      entries.push({ path: parts[8] ?? '', kind: 'changed', index: xy[0] ?? '.', worktree: xy[1] ?? '.' });
    } else if (type === '2') {
      const parts = splitN(rec, 10);
      const xy = parts[1] ?? '..';
      const origPath = fields[++i] ?? '';
      entries.push({ path: parts[9] ?? '', origPath, kind: 'renamed', index: xy[0] ?? '.', worktree: xy[1] ?? '.' });
    } else if (type === 'u') {
      const parts = splitN(rec, 11);
      const xy = parts[1] ?? '..';
      entries.push({ path: parts[10] ?? '', kind: 'unmerged', index: xy[0] ?? '.', worktree: xy[1] ?? '.' });
    }
  }
  return { branch, entries, clean: entries.every((e) => e.kind === 'ignored') };
}

/** Splits on the first n-1 spaces; the last field (a path) may itself contain spaces. */
function splitN(s: string, n: number): string[] {
  const parts: string[] = [];
  let rest = s;
  for (let k = 0; k < n - 1; k++) {
    const sp = rest.indexOf(' ');
    if (sp < 0) break;
    parts.push(rest.slice(0, sp));
    rest = rest.slice(sp + 1);
  }
  parts.push(rest);
  return parts;
}

export interface GitCommit {
  hash: string;
  author: string;
  email: string;
  date: string;
  subject: string;
}

/** The --format that parseLog expects: fields split by \x1f, records ended by \x1e. */
export const LOG_FORMAT = '%H%x1f%an%x1f%ae%x1f%aI%x1f%s%x1e';

export function parseLog(out: string): GitCommit[] {
  return out
    .split('\x1e')
    .map((r) => r.replace(/^\n/, ''))
    .filter((r) => r !== '')
    .map((r) => {
      const [hash = '', author = '', email = '', date = '', subject = ''] = r.split('\x1f');
      return { hash, author, email, date, subject };
    });
}

/** Parses `git branch --format=%(HEAD)%00%(refname:short)%00%(upstream:short)%00%(objectname)`, one per line. */
export function parseBranches(out: string): { name: string; current: boolean; upstream: string | null; oid: string }[] {
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [head = '', name = '', upstream = '', oid = ''] = l.split('\0');
      return { name, current: head === '*', upstream: upstream || null, oid };
    });
}

import { describe, expect, it } from 'vitest';
import { LOG_FORMAT, parseBranches, parseLog, parseStatusV2 } from '../../src/daemon/workspace/git-parse.js';

describe('parseStatusV2', () => {
  it('reads branch headers and every entry kind, including paths with spaces and renames', () => {
    const out = [
      '# branch.oid 1234abcd',
      '# branch.head main',
      '# branch.upstream origin/main',
      '# branch.ab +2 -1',
      '1 .M N... 100644 100644 100644 aaa bbb src/a file.ts',
      '1 A. N... 000000 100644 100644 000 ccc new.ts',
      '2 R. N... 100644 100644 100644 ddd ddd R100 renamed.ts',
      'old name.ts',
      'u UU N... 100644 100644 100644 100644 e1 e2 e3 conflict.ts',
      '? untracked dir/x.txt',
      '! ignored.log',
      '',
    ].join('\0');
    const s = parseStatusV2(out);
    expect(s.branch).toEqual({ head: 'main', oid: '1234abcd', upstream: 'origin/main', ahead: 2, behind: 1 });
    expect(s.entries).toEqual([
      { path: 'src/a file.ts', kind: 'changed', index: '.', worktree: 'M' },
      { path: 'new.ts', kind: 'changed', index: 'A', worktree: '.' },
      { path: 'renamed.ts', origPath: 'old name.ts', kind: 'renamed', index: 'R', worktree: '.' },
      { path: 'conflict.ts', kind: 'unmerged', index: 'U', worktree: 'U' },
      { path: 'untracked dir/x.txt', kind: 'untracked', index: '?', worktree: '?' },
      { path: 'ignored.log', kind: 'ignored', index: '?', worktree: '?' },
    ]);
    expect(s.clean).toBe(false);
  });

  it('handles a fresh repository with no commits', () => {
    const s = parseStatusV2('# branch.oid (initial)\0# branch.head main\0');
    expect(s.branch).toMatchObject({ head: 'main', oid: null, upstream: null });
    expect(s.clean).toBe(true);
  });
});

describe('parseLog and parseBranches', () => {
  it('parses commits whose subjects contain separators of other formats', () => {
    const out = `aaa\x1fAda\x1fada@x.org\x1f2026-01-01T00:00:00+00:00\x1ffix: a | b, c\x1e\nbbb\x1fBob\x1fbob@x.org\x1f2026-01-02T00:00:00+00:00\x1finit\x1e\n`;
    expect(parseLog(out)).toEqual([
      { hash: 'aaa', author: 'Ada', email: 'ada@x.org', date: '2026-01-01T00:00:00+00:00', subject: 'fix: a | b, c' },
      { hash: 'bbb', author: 'Bob', email: 'bob@x.org', date: '2026-01-02T00:00:00+00:00', subject: 'init' },
    ]);
    expect(LOG_FORMAT).toContain('%x1e');
  });

  it('parses branch lines', () => {
    expect(parseBranches('*\0main\0origin/main\0abc\n \0feature\0\0def\n')).toEqual([
      { name: 'main', current: true, upstream: 'origin/main', oid: 'abc' },
      { name: 'feature', current: false, upstream: null, oid: 'def' },
    ]);
  });
});

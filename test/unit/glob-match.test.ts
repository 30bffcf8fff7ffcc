import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import { compileGlob, MAX_GLOB_LENGTH, workspaceGlob } from '../../src/daemon/workspace/glob-match.js';

const PATHS = [
  'a',
  'a.ts',
  '.env',
  'README.md',
  'docs/README.md',
  'src/a.ts',
  'src/a.js',
  'src/deep/b.ts',
  'src/deep/.hidden/c.ts',
  'src/deep/b.test.ts',
  'test/x.ts',
  'lib/x.d.ts',
  'a/b',
  'a/b/c',
  'a/x/y/b',
  'ab',
  'axxb',
  'ax/xb',
  'bx',
  'cx',
  '[x',
  'a*b',
  'foo/bar',
  'foo/a/b/bar',
  'src/bz',
  'b/c/d',
];

const PATTERNS = [
  '*',
  '**',
  '*.ts',
  '**/*.ts',
  'src/**',
  'src/**/*.ts',
  'src/*.ts',
  'src/*',
  'a/**',
  'a/**/b',
  '**/b',
  '*.{ts,js}',
  'src/{a,deep/b}.ts',
  '{src,test}/**/*.ts',
  '{a,b/c}/d',
  'src/{a,b}*',
  'a?',
  'a??b',
  '[a-c]x',
  '[^a]x',
  '\\[x',
  'a\\*b',
  '[x',
  'a**b',
  '*.d.ts',
  '.env',
  '*/README.md',
  'foo/**/bar',
  '!*.ts',
  '**/.hidden/**',
  'src/{deep/{b,c},a}.ts',
];

describe('compileGlob agrees with picomatch on the documented syntax', () => {
  for (const pattern of PATTERNS) {
    it(`matches like picomatch for ${pattern}`, () => {
      const ours = workspaceGlob(pattern);
      const theirs = picomatch(pattern, { dot: true, basename: !pattern.includes('/') });
      for (const p of PATHS) expect([p, ours(p)]).toEqual([p, theirs(p)]);
    });
  }
});

describe('compileGlob semantics', () => {
  it('keeps * and ? within one segment and lets ** cross them', () => {
    const star = compileGlob('a*b');
    expect(star('axxb')).toBe(true);
    expect(star('ax/xb')).toBe(false);
    expect(compileGlob('a?b')('a/b')).toBe(false);
    expect(compileGlob('a/**/b')('a/b')).toBe(true);
    expect(compileGlob('a/**/b')('a/x/y/b')).toBe(true);
    expect(compileGlob('a/**')('a')).toBe(true);
  });

  it('negates a class with ! or ^ (POSIX; picomatch differs on [!a])', () => {
    expect(compileGlob('[!a]x')('bx')).toBe(true);
    expect(compileGlob('[!a]x')('ax')).toBe(false);
    expect(compileGlob('[^a]x')('bx')).toBe(true);
    expect(compileGlob('[!a]x')('/x')).toBe(false);
  });

  it('matches names anywhere only in matchBase mode and for patterns without a slash', () => {
    expect(compileGlob('*.md')('docs/x.md')).toBe(false);
    expect(compileGlob('*.md', { matchBase: true })('docs/x.md')).toBe(true);
    expect(compileGlob('docs/*.md', { matchBase: true })('a/docs/x.md')).toBe(false);
  });

  it('treats unbalanced brackets and braces as literals', () => {
    expect(compileGlob('{a')('{a')).toBe(true);
    expect(compileGlob('{a}')('{a}')).toBe(true);
    expect(compileGlob('[a')('[a')).toBe(true);
    expect(compileGlob('a]')('a]')).toBe(true);
  });

  it('refuses a glob over the length limit with a validation error', () => {
    expect(() => compileGlob('a'.repeat(MAX_GLOB_LENGTH + 1))).toThrow(/longer than/);
  });
});

describe('compileGlob runs in linear time, within a step budget', () => {
  /** Runs one match; a glob built to be slow may be refused, but never after more than the budget. */
  const outcome = (pattern: string, subject: string): boolean | 'refused' => {
    const m = compileGlob(pattern);
    try {
      return m(subject);
    } catch (err) {
      expect((err as Error).message).toMatch(/too complex/);
      return 'refused';
    }
  };

  it('answers the classic backtracking attack on a 36-character name at once', () => {
    expect(outcome(`${'*a'.repeat(8)}*b`, 'a'.repeat(36))).toBe(false);
  });

  // The step budget bounds the work of one match, so these end (answered or refused) instead of
  // backtracking; how long that takes is measured by the security suite's event-loop test, not here.
  it('answers or refuses the worst globs on a 4 KiB path within its step budget', () => {
    const cases: [string, string][] = [
      [`${'*a'.repeat(40)}*b`, 'a'.repeat(4096)],
      [`${'*{a,aa}'.repeat(30)}*b`, 'a'.repeat(4096)],
      [`${'**/a*'.repeat(30)}b`, 'a/'.repeat(2048)],
      [`${'?*'.repeat(400)}b`, 'a'.repeat(4096)],
      [`${'*{a,b}'.repeat(166)}*c`, 'a'.repeat(4096)],
      [`${'{,}'.repeat(333)}x`, 'x'.repeat(4096)],
    ];
    for (const [pattern, subject] of cases) {
      expect(pattern.length).toBeLessThanOrEqual(MAX_GLOB_LENGTH);
      expect(outcome(pattern, subject)).not.toBe(true);
    }
  });

  it('ordinary globs on a 4 KiB path stay far inside the budget', () => {
    const deep = `${'dir/'.repeat(1000)}file.ts`;
    expect(compileGlob('**/*.ts')(deep)).toBe(true);
    expect(compileGlob('{src,dir}/**/*.{ts,tsx}')(deep)).toBe(true);
    expect(workspaceGlob('*.ts')(deep)).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { caseFoldPattern, compileLinearRegex } from '../../src/daemon/workspace/linear-regex.js';

describe('compileLinearRegex', () => {
  it('matches like an ordinary regex', () => {
    const re = compileLinearRegex('foo\\w+\\(', true);
    expect(re.test('call fooBar(1)')).toBe(true);
    expect(re.test('call FOOBAR(1)')).toBe(false);
  });

  it('matches case-insensitively by folding letters', () => {
    const re = compileLinearRegex('foo[a-c]+Z', false);
    expect(re.test('FOOabcz')).toBe(true);
    expect(re.test('fooCBAz')).toBe(true);
    expect(re.test('foodz')).toBe(false);
  });

  it('keeps escapes, classes and group names intact while folding', () => {
    expect(caseFoldPattern('\\d\\w\\x41(?<name>a)')).toBe('\\d\\w\\x41(?<name>[aA])');
    expect(caseFoldPattern('[^a-f0-9_-]')).toBe('[^a-f0-9_\\-A-F]');
    expect(compileLinearRegex('(?<word>ab)\\s', false).test('AB ')).toBe(true);
  });

  it('runs a catastrophic pattern in linear time', () => {
    const re = compileLinearRegex('(a+)+$', false);
    const started = performance.now();
    expect(re.test(`${'a'.repeat(20_000)}!`)).toBe(false);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('refuses backreferences and lookaround with a validation error', () => {
    expect(() => compileLinearRegex('(a)\\1', true)).toThrowError(
      expect.objectContaining({ code: 'validation_failed' }),
    );
    expect(() => compileLinearRegex('(?<=a)b', true)).toThrowError(
      expect.objectContaining({ code: 'validation_failed' }),
    );
  });

  it('reports a syntax error as a validation error', () => {
    expect(() => compileLinearRegex('(unclosed', true)).toThrowError(
      'invalid regular expression: /(unclosed/: Unterminated group',
    );
  });
});

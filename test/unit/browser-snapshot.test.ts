import { describe, expect, it } from 'vitest';
import { checkUrl, targetUrl } from '../../src/daemon/browser/actions.js';
import { chord } from '../../src/daemon/browser/computer.js';
import { approxTokens, compact, diffLines, findLines, withinBudget } from '../../src/daemon/browser/snapshot.js';

const PAGE = [
  '- generic [active] [ref=e1]:',
  '  - generic [ref=e2]:',
  '    - heading "Shop" [level=1] [ref=e3]',
  '    - list [ref=e4]:',
  '      - listitem [ref=e5]: Apples',
  '      - listitem [ref=e6]: Pears',
  '  - button "Buy" [ref=e7] [cursor=pointer]',
].join('\n');

describe('snapshot shaping', () => {
  it('drops unnamed wrappers and pointer marks, keeping the tree shape', () => {
    expect(compact(PAGE)).toEqual([
      '- heading "Shop" [level=1] [ref=e3]',
      '- list [ref=e4]:',
      '  - listitem [ref=e5]: Apples',
      '  - listitem [ref=e6]: Pears',
      '- button "Buy" [ref=e7]',
    ]);
    // The body losing focus to a button changes one line, not the indentation of the whole page.
    const focused = compact(PAGE.replace('generic [active]', 'generic').replace('[ref=e7]', '[active] [ref=e7]'));
    expect(diffLines(compact(PAGE), focused)).toEqual([
      '- - button "Buy" [ref=e7]',
      '+ - button "Buy" [active] [ref=e7]',
    ]);
  });

  it('stays within the token budget and says how much it left out', () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `- listitem [ref=e${i}]: item number ${i}`);
    const shaped = withinBudget(lines, 200);
    expect(shaped.tokens).toBeLessThanOrEqual(230);
    expect(shaped.omitted).toBeGreaterThan(900);
    expect(shaped.text).toMatch(/more lines: raise budget, or use find/);
    expect(approxTokens('abcd')).toBe(1);
  });

  it('diffs by lines and finds lines with their ancestors', () => {
    const before = compact(PAGE);
    const after = [...before.slice(0, 3), '  - listitem [ref=e8]: Plums'];
    expect(diffLines(before, after)).toEqual([
      '-   - listitem [ref=e6]: Pears',
      '- - button "Buy" [ref=e7]',
      '+   - listitem [ref=e8]: Plums',
    ]);
    expect(diffLines(before, before)).toEqual([]);
    expect(findLines(before, 'pears')).toEqual(['- list [ref=e4]:', '  - listitem [ref=e6]: Pears']);
  });

  it('accepts only web URLs; a bare port or host:port is the container’s', () => {
    expect(targetUrl('3000')).toBe('http://localhost:3000/');
    expect(targetUrl('localhost:5173/app')).toBe('http://localhost:5173/app');
    expect(checkUrl('https://example.com/x')).toBe('https://example.com/x');
    for (const bad of ['file:///etc/passwd', 'javascript:alert(1)', 'chrome://version', 'data:text/html,x', 'ws://x/'])
      expect(() => checkUrl(bad), bad).toThrow(/only http and https/);
  });

  it('maps computer-use key names to Playwright chords', () => {
    expect(chord(['ctrl', 'a'])).toBe('Control+a');
    expect(chord(['ctrl+shift+k'])).toBe('Control+Shift+k');
    expect(chord(['Return'])).toBe('Enter');
    expect(chord(['pagedown'])).toBe('PageDown');
  });
});

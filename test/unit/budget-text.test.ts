import { describe, expect, it } from 'vitest';
import { headWithin, tailWithin } from '../../src/daemon/ops/budget.js';

const jsonBytes = (s: string) => Buffer.byteLength(JSON.stringify(s));
const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;
/** Whether cutting `text` before index i keeps every surrogate pair whole. */
const cuttable = (text: string, i: number) => !(isHigh(text.charCodeAt(i - 1)) && isLow(text.charCodeAt(i)));

/** The references: every cut tried, each measured by serialising it. */
function headRef(text: string, max: number): string {
  let best = '';
  for (let i = 0; i <= text.length; i++)
    if (cuttable(text, i) && jsonBytes(text.slice(0, i)) <= max) best = text.slice(0, i);
  return best;
}
function tailRef(text: string, max: number): string {
  let best = '';
  for (let i = text.length; i >= 0; i--) if (cuttable(text, i) && jsonBytes(text.slice(i)) <= max) best = text.slice(i);
  return best;
}

// Every kind of unit JSON writes differently: plain, escaped, control, DEL, 2- and 3-byte, U+2028, a pair,
// lone halves.
const UNITS = ['a', '"', '\\', '\n', '\t', '\u0001', '\u001f', '\u007f', 'é', '€', '\u2028', '😀', '\ud800', '\udc00'];

function randomText(seed: number, length: number): string {
  let x = seed;
  let out = '';
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    out += UNITS[x % UNITS.length];
  }
  return out;
}

describe('headWithin and tailWithin', () => {
  it('keep the longest head and tail whose JSON fits, never splitting a surrogate pair', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const text = randomText(seed, seed % 40);
      for (const max of [0, 1, 2, 3, 5, 8, 13, 21, 40, 80, 400]) {
        expect(headWithin(text, max), `head of ${JSON.stringify(text)} in ${max}`).toBe(headRef(text, max));
        expect(tailWithin(text, max), `tail of ${JSON.stringify(text)} in ${max}`).toBe(tailRef(text, max));
      }
    }
  });

  it('hand back the text itself when it fits', () => {
    const text = 'x'.repeat(4096);
    expect(headWithin(text, 4098)).toBe(text);
    expect(headWithin(text, 4097)).toHaveLength(4095);
    expect(tailWithin(`${text}😀`, 4102)).toBe(`${text}😀`);
  });
});

import { describe, expect, it } from 'vitest';
import type { Op } from '../../src/daemon/ops/op.js';
import { fitJson, surelyWithin } from '../../src/mcp/fit.js';
import { cappedToolResult } from '../../src/mcp/summary.js';

const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

describe('the final guard of MCP results', () => {
  it('leaves a result under the cap alone', () => {
    const v = { a: 'x', list: [1, 2, 3] };
    expect(fitJson(v, 1000)).toEqual({ value: v, cut: false });
  });

  it('cuts the biggest strings and array tails until the JSON fits, and sets truncated', () => {
    const v = {
      truncated: false,
      id: 'keep-me',
      text: 'é'.repeat(50_000),
      rows: Array.from({ length: 2000 }, (_, i) => ({ n: i, s: `row ${i}` })),
    };
    const fitted = fitJson(v, 8 * 1024);
    expect(fitted?.cut).toBe(true);
    expect(bytes(fitted?.value)).toBeLessThanOrEqual(8 * 1024);
    const out = fitted?.value as typeof v;
    expect(out).toMatchObject({ truncated: true, id: 'keep-me' });
    expect(out.rows[0]).toEqual({ n: 0, s: 'row 0' });
    expect(v.text.length).toBe(50_000); // the input is not changed
  });

  it('never lets a result over the cap leave, and writes a summary instead of the JSON', () => {
    const op = { name: 'demo', summary: (o: { text: string }) => `${o.text.length} characters` } as unknown as Op;
    const r = cappedToolResult(op, { text: 'y'.repeat(100_000) }, 16 * 1024);
    expect(bytes(r)).toBeLessThanOrEqual(16 * 1024);
    const text = (r.content[0] as { text: string }).text;
    expect(text).toContain('100000 characters');
    expect(text).toContain('Cut to fit the 16 KB result cap');
    const generic = cappedToolResult({ name: 'g' } as unknown as Op, { items: ['a', 'b'], count: 2 }, 16 * 1024);
    expect((generic.content[0] as { text: string }).text).toBe('count: 2\nitems: 2 entries\n  - "a"\n  - "b"');
  });
});

describe('surelyWithin (the bound that spares serialising a result under the cap)', () => {
  const samples: unknown[] = [
    'plain',
    '\u0000\u001f"\\'.repeat(100),
    '😀é中'.repeat(300),
    { path: 'a.txt', content: 'x'.repeat(4096), size: 4096, hash: 'f'.repeat(64), truncated: false, n: -1.5e-300 },
    [1, null, true, 'é', { k: ['\n'] }],
    { 'ключ\u0001': { deep: [[[['x']]]] }, skipped: undefined },
    [],
    {},
  ];

  it('is never true for JSON over the limit, whatever the characters', () => {
    for (const v of samples) {
      const exact = bytes(v);
      for (const limit of [0, 1, exact - 1, exact, exact * 3, exact * 6, exact * 7]) {
        if (surelyWithin(v, limit)) expect(exact).toBeLessThanOrEqual(limit);
      }
      expect(surelyWithin(v, exact * 6 + 64)).toBe(true);
    }
  });

  it('leaves to exact measurement what it cannot bound: toJSON, class instances, undefined in arrays', () => {
    expect(surelyWithin({ at: new Date(0) }, 1e6)).toBe(false);
    expect(surelyWithin({ b: Buffer.from('x') }, 1e6)).toBe(false);
    expect(surelyWithin([undefined], 1e6)).toBe(false);
    expect(surelyWithin({ f: () => 1 }, 1e6)).toBe(false);
    expect(fitJson({ at: new Date(0) }, 1e6)).toEqual({ value: { at: new Date(0) }, cut: false });
  });
});

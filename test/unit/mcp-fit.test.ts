import { describe, expect, it } from 'vitest';
import type { Op } from '../../src/daemon/ops/op.js';
import { fitJson } from '../../src/mcp/fit.js';
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

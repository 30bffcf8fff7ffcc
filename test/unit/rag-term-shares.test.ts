import { describe, expect, it } from 'vitest';
import type { IndexRow } from '../../src/daemon/db/rag-rows.js';
import { TermShares } from '../../src/daemon/rag/term-shares.js';

const row = (over: Partial<IndexRow> = {}): IndexRow => ({
  id: 1,
  containerId: 'c',
  embedder: 'e',
  dimension: 8,
  state: 'ready',
  files: 10,
  chunks: 100,
  error: null,
  startedAt: 1,
  finishedAt: 2,
  runnerPid: null,
  heartbeatAt: null,
  ftsFormat: 1,
  ...over,
});

describe('TermShares', () => {
  it('counts each term once per index version, and again after the index changes', () => {
    const docs: Record<string, number> = { returns: 40, parse: 3 };
    const counted: string[] = [];
    const shares = new TermShares((_id, term) => {
      counted.push(term);
      return docs[term] ?? 0;
    });
    const common = shares.commonIn(row(), 0.25);
    expect(common('returns')).toBe(true);
    expect(common('parse')).toBe(false);
    expect(shares.commonIn(row(), 0.25)('returns')).toBe(true);
    expect(counted).toEqual(['returns', 'parse']);
    // Another pass finished: 200 chunks now, so 40 is no longer a quarter, and the count is taken again.
    expect(shares.commonIn(row({ chunks: 200, finishedAt: 3 }), 0.25)('returns')).toBe(false);
    expect(counted).toEqual(['returns', 'parse', 'returns']);
  });
});

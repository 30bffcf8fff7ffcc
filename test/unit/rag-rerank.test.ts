import { describe, expect, it } from 'vitest';
import { DEFAULT_RANKING } from '../../src/daemon/rag/ranking.js';
import { hasTermTable, Reranker, type RerankOptions, type TermTable } from '../../src/daemon/rag/rerank.js';
import { StaticEmbedder } from '../../src/daemon/rag/static-embedder.js';

/** A tiny table: terms (as the embedder stems them) with 2-d vectors and idfs. */
function table(entries: Record<string, { v: [number, number]; idf: number }>): TermTable {
  const words = Object.keys(entries);
  const rows = new Float32Array(words.length * 2);
  const idf = new Float32Array(words.length);
  const invNorm = new Float32Array(words.length);
  words.forEach((w, i) => {
    const e = entries[w] as { v: [number, number]; idf: number };
    rows[i * 2] = e.v[0];
    rows[i * 2 + 1] = e.v[1];
    idf[i] = e.idf;
    invNorm[i] = 1 / Math.hypot(e.v[0], e.v[1]);
  });
  return { index: new Map(words.map((w, i) => [w, i])), idf, rows, invNorm, dim: 2 };
}

const T = table({
  remov: { v: [1, 0], idf: 4 },
  unlink: { v: [0.9, 0.1], idf: 6 },
  file: { v: [0, 1], idf: 2 },
  pars: { v: [-1, 0], idf: 3 },
  config: { v: [-0.5, -1], idf: 5 },
});
const opts = (o: Partial<RerankOptions>): RerankOptions => ({
  depth: 20,
  nameSim: 0,
  headSim: 0,
  bodySim: 0,
  bodyTerms: 32,
  floor: 0,
  headVec: 0,
  ...o,
});
const chunk = (id: number, score: number, symbol: string | null, content: string) => ({ id, score, symbol, content });

describe('re-ranker (MaxSim over term vectors)', () => {
  it('gives each query term its best match in the name, weighted by idf', () => {
    const r = new Reranker('remove the file', T, opts({ nameSim: 1 }));
    // `remov` (idf 4) meets `unlink` at cos ≈ 0.99, `file` (idf 2) matches exactly.
    const f = r.features({ symbol: 'unlinkFile', content: '' });
    expect(f.nameSim).toBeGreaterThan(0.98);
    expect(f.nameSim).toBeLessThanOrEqual(1);
    // Nothing near `remov` in `parseConfig`, `file` is orthogonal to both: no match at all.
    expect(r.features({ symbol: 'parseConfig', content: '' }).nameSim).toBe(0);
    expect(r.features({ symbol: null, content: 'x' }).nameSim).toBe(0);
  });

  it('lifts a candidate whose name says what the query asks above a better fused score', () => {
    const r = new Reranker('remove a file', T, opts({ nameSim: 0.8, headSim: 0.3 }));
    const input = [
      chunk(1, 1.0, 'parseConfig', 'function parseConfig(text) {\n  return 1;\n}'),
      chunk(2, 0.6, 'unlink', 'function unlink(file) {\n  fs.rmSync(file);\n}'),
    ];
    const out = r.rerank(input);
    expect(out.map((c) => c.id)).toEqual([2, 1]);
    expect(out[0]?.score).toBeGreaterThan(1);
    // Scores only gain; the input is left as it was.
    expect(out[1]?.score).toBe(1);
    expect(input[1]?.score).toBe(0.6);
  });

  it('counts cosines at or below the floor as no match and rescales the rest', () => {
    const low = new Reranker('remove', T, opts({ nameSim: 1, floor: 0.995 }));
    expect(low.features({ symbol: 'unlink', content: '' }).nameSim).toBe(0);
    const mid = new Reranker('remove', T, opts({ nameSim: 1, floor: 0.5 }));
    const cos = 0.9 / Math.hypot(0.9, 0.1);
    expect(mid.features({ symbol: 'unlink', content: '' }).nameSim).toBeCloseTo((cos - 0.5) / 0.5, 5);
  });

  it('reads the signature line for the head and only the rarest body terms for the body', () => {
    const r = new Reranker('config file', T, opts({ headSim: 1, bodySim: 1, bodyTerms: 1 }));
    const c = { symbol: 'load', content: '// loads\nfunction load(config) {\n  return file;\n}' };
    const f = r.features(c);
    // Head: `load(config)` holds `config` (idf 5) but not `file` (idf 2, orthogonal-ish to config).
    expect(f.headSim).toBeGreaterThan(5 / 7 - 1e-6);
    expect(f.headSim).toBeLessThan(1);
    // Body with one term: the rarest is `config` (idf 5), so `file` is not an exact match there.
    expect(f.bodySim).toBeCloseTo(f.headSim, 6);
    const all = new Reranker('config file', T, opts({ bodySim: 1, bodyTerms: 32 })).features(c);
    expect(all.bodySim).toBe(1);
  });

  it('matches words the table does not know only exactly', () => {
    const r = new Reranker('dequote', T, opts({ nameSim: 1 }));
    expect(r.features({ symbol: 'dequote', content: '' }).nameSim).toBe(1);
    expect(r.features({ symbol: 'unquote', content: '' }).nameSim).toBe(0);
  });

  it('adds the cosine of the query vector with the head vector; a nameless chunk takes its own cosine', () => {
    const e = new StaticEmbedder(384);
    const q = e.embedOne('remove a file from disk');
    const r = new Reranker('remove a file from disk', e.termTable(), opts({ headVec: 1 }), {
      query: q,
      embed: (t) => e.embedOne(t),
    });
    const c = { symbol: 'unlinkPath', content: 'function unlinkPath(p) {\n  fs.rmSync(p);\n}' };
    const want = e.embedOne('unlinkPath\nfunction unlinkPath(p) {').reduce((s, v, i) => s + v * (q[i] as number), 0);
    expect(r.features(c).headVec).toBeCloseTo(want, 5);
    expect(r.features({ symbol: null, content: 'x = 1', cosine: 0.42 }).headVec).toBe(0.42);
    // Without the query's vector (or with weight 0) the feature is off.
    expect(new Reranker('remove', e.termTable(), opts({ headVec: 1 })).features(c).headVec).toBe(0);
    const [hi, lo] = r.rerank([
      chunk(1, 0.5, 'formatDate', 'function formatDate(d) {}'),
      chunk(2, 0.5, 'unlinkPath', c.content),
    ]);
    expect([hi?.id, lo?.id]).toEqual([2, 1]);
  });

  it('is on by default for the static embedder, which lends its table', () => {
    expect(DEFAULT_RANKING.rerank.depth).toBeGreaterThan(0);
    expect(Object.isFrozen(DEFAULT_RANKING.rerank)).toBe(true);
    const e = new StaticEmbedder(384);
    expect(hasTermTable(e)).toBe(true);
    const t = e.termTable();
    expect(t.rows.length).toBe(t.idf.length * t.dim);
    const r = new Reranker('remove a file from disk', t, DEFAULT_RANKING.rerank);
    const rm = r.features({ symbol: 'unlinkPath', content: 'function unlinkPath(p) {}' });
    const other = r.features({ symbol: 'formatDate', content: 'function formatDate(d) {}' });
    expect(rm.nameSim).toBeGreaterThan(other.nameSim);
  });
});

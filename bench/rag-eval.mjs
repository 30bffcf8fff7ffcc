// Retrieval quality on real code nobody here wrote: the TypeScript sources of rxjs, zod and ajv (from
// node_modules). Each doc comment that precedes an exported definition becomes a query; the comment is
// blanked out of the indexed copy (line numbers kept), and the answer is the chunk holding the definition.
// Reports recall@5 and MRR@10 for BM25 alone, vectors alone and the hybrid (RRF), plus a sweep of fusion
// weights. Writes bench/results/rag-eval.json. Run with `npm run bench`.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fuse } from '../dist/daemon/rag/search.js';
import { benchDaemon } from './lib/bench-daemon.mjs';
import { corpusFiles, SOURCES } from './lib/rag-corpus.mjs';

const DEF =
  /^\s*export\s+(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:function\*?|class|const|let|interface|type|enum)\s+([A-Za-z_$][\w$]*)/;

/** Turns a JSDoc block into the question it answers: prose only, no tags, code or markup. */
function queryOf(lines) {
  const prose = [];
  for (const raw of lines) {
    const l = raw
      .replace(/^\s*\/\*\*?/, '')
      .replace(/\*\/\s*$/, '')
      .replace(/^\s*\*\s?/, '');
    if (/^\s*@/.test(l) || /^\s*```/.test(l)) break;
    prose.push(l);
  }
  return prose
    .join(' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\{@link\s+([^}|]+)[^}]*\}/g, '$1')
    .replace(/!\[[^\]]*\]\([^)]*\)/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
}

const sources = SOURCES.filter((s) => ['rxjs/src', 'zod/src', 'ajv/lib'].includes(s.dir));
const files = await corpusFiles(5000, sources);
const b = await benchDaemon();
const results = { corpus: sources.map((s) => s.dir), files: files.length };
try {
  const c = await b.container('eval');
  const cases = [];
  const seen = new Set();
  for (const f of files) {
    const lines = (await readFile(f.abs, 'utf8')).split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!/^\s*\/\*\*/.test(lines[i])) continue;
      let end = i;
      while (end < lines.length && !lines[end].includes('*/')) end++;
      let next = end + 1;
      while (next < lines.length && lines[next].trim() === '') next++;
      const m = DEF.exec(lines[next] ?? '');
      if (!m) continue;
      const query = queryOf(lines.slice(i, end + 1));
      // Blank the comment either way: what the eval asks must not be in the index.
      for (let k = i; k <= end; k++) lines[k] = '';
      if (query.length < 25 || seen.has(query)) continue;
      seen.add(query);
      cases.push({ query, path: f.rel, line: next + 1, symbol: m[1] });
    }
    const dest = path.join(c.root, f.rel);
    await (await import('node:fs/promises')).mkdir(path.dirname(dest), { recursive: true });
    await writeFile(dest, lines.join('\n'));
  }
  const indexed = await b.call('POST', '/rag/index', { container: c.id, wait: true });
  results.chunks = indexed.chunks;
  results.queries = cases.length;

  const rag = b.daemon.services.rag;
  const isAnswer = (hit, q) => hit.path === q.path && hit.startLine <= q.line && q.line <= hit.endLine;
  const lists = [];
  for (const q of cases) {
    const lex = await rag.searchIndex(c.id, q.query, { k: 50, mode: 'bm25' });
    const vec = await rag.searchIndex(c.id, q.query, { k: 50, mode: 'vector' });
    const hyb = await rag.searchIndex(c.id, q.query, { k: 10, mode: 'hybrid' });
    lists.push({ q, lex: lex.results, vec: vec.results, hyb: hyb.results });
  }
  const rankOf = (hits, q) => {
    const i = hits.findIndex((h) => isAnswer(h, q));
    return i < 0 ? Number.POSITIVE_INFINITY : i + 1;
  };
  const metrics = (ranks) => ({
    recallAt5: round(ranks.filter((r) => r <= 5).length / ranks.length),
    mrrAt10: round(ranks.reduce((s, r) => s + (r <= 10 ? 1 / r : 0), 0) / ranks.length),
  });
  results.bm25 = metrics(lists.map((l) => rankOf(l.lex, l.q)));
  results.vector = metrics(lists.map((l) => rankOf(l.vec, l.q)));
  results.hybrid = metrics(lists.map((l) => rankOf(l.hyb, l.q)));

  // Sweep the fusion weights on the same candidate lists (the shipped weights are in src/daemon/rag/search.ts).
  const byChunk = (l) => {
    const hits = new Map([...l.lex, ...l.vec].map((h) => [h.chunkId, h]));
    return hits;
  };
  results.fusionSweep = [];
  for (const vw of [0.25, 0.5, 0.75, 1, 1.5, 2]) {
    const ranks = lists.map((l) => {
      const hits = byChunk(l);
      const fused = fuse(
        l.lex.map((h) => ({ id: h.chunkId, score: -h.bm25.score })),
        l.vec.map((h) => ({ id: h.chunkId, score: h.vector.similarity })),
        'hybrid',
        { bm25: 1, vector: vw },
      ).map((f) => hits.get(f.id));
      return rankOf(fused, l.q);
    });
    results.fusionSweep.push({ bm25Weight: 1, vectorWeight: vw, ...metrics(ranks) });
  }
  results.hybridAtLeastBest = results.hybrid.mrrAt10 >= Math.max(results.bm25.mrrAt10, results.vector.mrrAt10);
  results.examples = cases.slice(0, 3);
} finally {
  await b.stop();
}
console.log(JSON.stringify(results, null, 2));
await writeFile(new URL('./results/rag-eval.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);

function round(n) {
  return Math.round(n * 1000) / 1000;
}

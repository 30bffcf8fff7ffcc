// Chooses the search's constants on the TUNE half of bench/rag-eval (never the report half): BM25 column
// weights, the glue chunks' factor, query expansions (code forms, joined word pairs), the default
// (static) embedder's vector weight and agreement factor, and the hybrid's re-ranker (rerank.ts).
// Indexes each language's tune set once, then re-runs its queries under each variant (a copy of
// DEFAULT_RANKING from dist/daemon/rag/ranking.js with the variant's changes, passed to each search). Prints a table; writes
// bench/results/rag-tune.json. Not part of `npm run bench`: run it after changing tokens or fusion.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_RANKING } from '../dist/daemon/rag/ranking.js';
import { benchDaemon } from './lib/bench-daemon.mjs';
import { extractCases, rankOf, sampleCases } from './lib/rag-eval-cases.mjs';
import { loadSets, readPackages } from './lib/rag-eval-corpora.mjs';

const round = (n) => Math.round(n * 1000) / 1000;
const metrics = (ranks) => ({
  r5: round(ranks.filter((r) => r <= 5).length / ranks.length),
  mrr: round(ranks.reduce((s, r) => s + (r <= 10 ? 1 / r : 0), 0) / ranks.length),
});

/** The default embedder's key in the ranking's vectorWeightByEmbedder. */
const EMBEDDER = 'disco-static-';
const base = DEFAULT_RANKING;
/** The ranking a variant searches with: the default with the variant's changes. */
const rankingOf = (v) => ({
  ...base,
  columns: { ...base.columns, ...(v.weights ?? {}) },
  match: { ...base.match, ...(v.match ?? {}) },
  glue: v.glue ?? base.glue,
  vectorWeightByEmbedder: {
    ...base.vectorWeightByEmbedder,
    [EMBEDDER]: v.vector ?? base.vectorWeightByEmbedder[EMBEDDER],
  },
  agreementFullAt: v.agreement ?? base.agreementFullAt,
  commonTermShare: v.common ?? base.commonTermShare,
  // A variant that sets `common` applies it to the tune sets' small indexes too.
  commonTermMinChunks: v.common === undefined ? base.commonTermMinChunks : 0,
  rerank: { ...base.rerank, ...(v.rerank ?? {}) },
});
const R = base.rerank;
const variants = [
  { name: 'shipped' },
  { name: 'no code forms', match: { codeFormsUpTo: 0 } },
  { name: 'code forms always', match: { codeFormsUpTo: 1000 } },
  { name: 'code forms up to 3', match: { codeFormsUpTo: 3 } },
  { name: 'no joined pairs', match: { joinPairs: false } },
  { name: 'no expansions', match: { codeFormsUpTo: 0, joinPairs: false } },
  { name: 'symbol 2', weights: { symbol: 2 } },
  { name: 'symbol 8', weights: { symbol: 8 } },
  { name: 'symbol 12', weights: { symbol: 12 } },
  { name: 'path 1', weights: { path: 1 } },
  { name: 'path 4', weights: { path: 4 } },
  { name: 'glue 1', glue: 1 },
  { name: 'glue 0.9', glue: 0.9 },
  { name: 'glue 0.7', glue: 0.7 },
  { name: 'vector 0.3', vector: 0.3 },
  { name: 'vector 0.7', vector: 0.7 },
  { name: 'vector 1', vector: 1 },
  { name: 'agreement 3', agreement: 3 },
  { name: 'agreement 5', agreement: 5 },
  { name: 'agreement 5, vector 0.8', agreement: 5, vector: 0.8 },
  { name: 'agreement 8, vector 0.8', agreement: 8, vector: 0.8 },
  { name: 'common off', common: 0 },
  { name: 'common 1/4', common: 0.25 },
  { name: 'common 1/8', common: 0.125 },
  { name: 'common 1/16', common: 0.0625 },
  { name: 'no rerank', rerank: { depth: 0 } },
  { name: 'rerank name only', rerank: { headSim: 0, bodySim: 0 } },
  { name: 'rerank head only', rerank: { nameSim: 0, bodySim: 0 } },
  { name: 'rerank body only', rerank: { nameSim: 0, headSim: 0 } },
  { name: 'rerank no body', rerank: { bodySim: 0 } },
  { name: 'rerank no name', rerank: { nameSim: 0 } },
  { name: 'rerank weights x0.5', rerank: { nameSim: R.nameSim / 2, headSim: R.headSim / 2, bodySim: R.bodySim / 2 } },
  {
    name: 'rerank weights x1.5',
    rerank: { nameSim: R.nameSim * 1.5, headSim: R.headSim * 1.5, bodySim: R.bodySim * 1.5 },
  },
  { name: 'rerank body 1', rerank: { bodySim: 1 } },
  { name: 'rerank body 1.6', rerank: { bodySim: 1.6 } },
  { name: 'rerank floor 0', rerank: { floor: 0 } },
  { name: 'rerank floor 0.4', rerank: { floor: 0.4 } },
  { name: 'rerank exact only', rerank: { floor: 0.999 } },
  { name: 'rerank body terms 16', rerank: { bodyTerms: 16 } },
  { name: 'rerank body terms all', rerank: { bodyTerms: 100000 } },
  { name: 'rerank depth 10', rerank: { depth: 10 } },
  { name: 'rerank depth 15', rerank: { depth: 15 } },
  { name: 'rerank depth 30', rerank: { depth: 30 } },
  { name: 'rerank depth 50', rerank: { depth: 50 } },
  ...[0.5, 1, 1.5, 2].map((headVec) => ({ name: `rerank head vector ${headVec}`, rerank: { headVec } })),
];

const only = process.argv.slice(2);
if (only.length > 0) variants.splice(0, variants.length, ...variants.filter((v) => only.includes(v.name)));
const packages = await readPackages();
const b = await benchDaemon();
const table = [];
try {
  const sets = await loadSets(packages, 'tune', 100, extractCases, sampleCases);
  for (const set of sets) {
    const c = await b.container(`tune-${set.language}`);
    for (const f of set.files) {
      const dest = path.join(c.root, f.rel);
      await mkdir(path.dirname(dest), { recursive: true });
      await writeFile(dest, f.text);
    }
    await b.index(c.id);
    set.container = c.id;
  }
  const rag = b.daemon.services.rag;
  for (const v of variants) {
    const ranking = rankingOf(v);
    const row = { variant: v.name };
    for (const set of sets) {
      const ranks = { bm25: [], vector: [], hybrid: [] };
      for (const q of set.cases) {
        for (const mode of ['bm25', 'vector', 'hybrid']) {
          const r = await rag.searchIndex(set.container, q.query, { k: 10, mode }, undefined, ranking);
          ranks[mode].push(rankOf(r.results, q));
        }
      }
      row[set.language] = { bm25: metrics(ranks.bm25), vector: metrics(ranks.vector), hybrid: metrics(ranks.hybrid) };
    }
    table.push(row);
    console.log(
      v.name.padEnd(18),
      sets
        .map((s) => {
          const x = row[s.language];
          return `${s.language} bm25 ${x.bm25.r5}/${x.bm25.mrr} vec ${x.vector.r5}/${x.vector.mrr} hyb ${x.hybrid.r5}/${x.hybrid.mrr}`;
        })
        .join(' | '),
    );
  }
} finally {
  await b.stop();
}
await writeFile(new URL('./results/rag-tune.json', import.meta.url), `${JSON.stringify(table, null, 2)}\n`);

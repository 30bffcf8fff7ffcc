// Profiles one hybrid query path at ~100k chunks, stage by stage in one run: building the FTS5
// expression, BM25, embedding the query, the coarse Hamming KNN, exact re-scoring, cosines of BM25's
// candidates, fusion, fetching the hits' rows; plus EXPLAIN QUERY PLAN of the SQL and the number of
// statements one search runs. Not part of `npm run bench` (bench/rag.mjs holds the p95 goal).
//   node bench/rag-profile.mjs [chunks=100000]
import { readFile } from 'node:fs/promises';
import { bytesVector, dot, vectorBytes } from '../dist/daemon/rag/embedder.js';
import { baseVectorWeight, fuse, vectorWeight } from '../dist/daemon/rag/fusion.js';
import { DEFAULT_RANKING } from '../dist/daemon/rag/ranking.js';
import { TermShares } from '../dist/daemon/rag/term-shares.js';
import { ftsMatchExpression } from '../dist/daemon/rag/tokens.js';
import { coarseCandidates } from '../dist/daemon/rag/vector-half.js';
import { benchDaemon } from './lib/bench-daemon.mjs';
import { copyCorpus, corpusFiles } from './lib/rag-corpus.mjs';
import { summarize } from './lib/stats.mjs';

const target = Number(process.argv[2] ?? 100_000);
const b = await benchDaemon();
const out = {};
try {
  const list = await corpusFiles(2000);
  const c = await b.container('profile');
  let status = { chunks: 0 };
  for (let copy = 0; status.chunks < target; copy++) {
    await copyCorpus(list, c.root, `copy${copy}`);
    status = await b.call('POST', '/rag/index', { container: c.id, wait: true });
  }
  out.chunks = status.chunks;
  const rag = b.daemon.services.rag;
  // The reads of a search (RagSearchRepo); its `db` is private in TypeScript, reached here to count statements.
  const repo = rag.repo.reads;
  const row = rag.repo.getIndex(c.id);
  const queries = [];
  for (const f of list) {
    const m = /^\s*\*\s+([A-Z][a-z][^@\n]{25,120})$/m.exec(await readFile(f.abs, 'utf8'));
    if (m) queries.push(m[1].trim());
    if (queries.length >= 100) break;
  }

  // Statements per search: count prepare() and the statements' runs through a wrapper.
  let statements = 0;
  const prepare = repo.db.prepare.bind(repo.db);
  repo.db.prepare = (sql) => {
    const st = prepare(sql);
    return new Proxy(st, {
      get(target, prop) {
        const v = Reflect.get(target, prop);
        if (typeof v === 'function' && ['get', 'all', 'run', 'iterate'].includes(prop))
          return (...a) => {
            statements++;
            return v.apply(target, a);
          };
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  };
  await rag.searchIndex(c.id, queries[0], { k: 10, mode: 'hybrid' });
  statements = 0;
  await rag.searchIndex(c.id, queries[1], { k: 10, mode: 'hybrid' });
  out.statementsPerHybridSearch = statements;
  repo.db.prepare = prepare;

  const shares = new TermShares((id, term) => repo.termDocs(id, term));
  const stages = { match: [], bm25: [], embed: [], knn: [], rescore: [], cosine: [], fuse: [], rows: [], total: [] };
  const embedder = rag.embedder;
  for (let round = 0; round < 2; round++) {
    for (const q of queries) {
      const t0 = performance.now();
      const match = ftsMatchExpression(
        q,
        DEFAULT_RANKING.match,
        row.chunks >= DEFAULT_RANKING.commonTermMinChunks
          ? shares.commonIn(row, DEFAULT_RANKING.commonTermShare)
          : undefined,
      );
      const t1 = performance.now();
      const lex = repo
        .bm25(row.id, match, 50, {}, { weights: DEFAULT_RANKING.columns, glue: DEFAULT_RANKING.glue })
        .map((r) => ({ id: r.id, score: -r.score }));
      const t2 = performance.now();
      const [qv] = await embedder.embed([q]);
      const t3 = performance.now();
      const ids = repo.knnCoarse(row.id, vectorBytes(qv), coarseCandidates(row.chunks));
      const t4 = performance.now();
      const sem = repo
        .vectors(ids)
        .map((v) => ({ id: v.id, score: dot(qv, bytesVector(v.vector)) }))
        .filter((v) => v.score > 0)
        .sort((x, y) => y.score - x.score)
        .slice(0, 50);
      const t5 = performance.now();
      const have = new Set(sem.map((s) => s.id));
      const cos = new Map(
        repo
          .vectors(lex.filter((l) => !have.has(l.id)).map((l) => l.id))
          .map((v) => [v.id, dot(qv, bytesVector(v.vector))]),
      );
      const t6 = performance.now();
      const fused = fuse(lex, sem, 'hybrid', vectorWeight(baseVectorWeight(embedder.id), lex), cos).slice(0, 10);
      const t7 = performance.now();
      repo.chunks(fused.map((f) => f.id));
      const t8 = performance.now();
      if (round === 0) continue;
      const ts = [t0, t1, t2, t3, t4, t5, t6, t7, t8];
      Object.keys(stages).forEach((k, i) => {
        stages[k].push(k === 'total' ? t8 - t0 : ts[i + 1] - ts[i]);
      });
    }
  }
  out.stagesMs = Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, summarize(v)]));
  const full = [];
  for (const q of queries) {
    const t = performance.now();
    await rag.searchIndex(c.id, q, { k: 10, mode: 'hybrid' });
    full.push(performance.now() - t);
  }
  out.searchIndexHybridMs = summarize(full);
  const fts = `rag_fts_${row.id}`;
  const plan = (sql, ...a) =>
    repo.db
      .prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .all(...a)
      .map((r) => r.detail);
  out.plans = {
    bm25: plan(
      `SELECT rowid AS id, bm25(${fts}, 4, 2, 1) AS score FROM ${fts} WHERE ${fts} MATCH ? ORDER BY score LIMIT 50`,
      ftsMatchExpression(queries[0]),
    ),
    knn: plan(
      `SELECT rowid AS id FROM rag_vec_${row.id} WHERE embedding MATCH vec_quantize_binary(?) AND k = 100`,
      Buffer.alloc(384 * 4),
    ),
    vectors: plan('SELECT id, path, language, vector FROM rag_chunks WHERE id = ?', 1),
  };
} finally {
  await b.stop();
}
console.log(JSON.stringify(out, null, 2));

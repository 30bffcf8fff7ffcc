// The built-in embedders side by side on code neither was built from: the held-out "test" packages of the
// static embedder's training corpus (scripts/train-embedder/corpus.tsv, split by a hash of the name, never
// trained on; the evaluation corpora of bench/rag-eval are excluded from that corpus altogether).
// Per language (Python, Go, Rust, JS/TS): every doc comment before a definition becomes a query, the
// comment is blanked out of the indexed copy, the answer is the chunk holding the definition. Reports
// recall@5 / MRR@10 for BM25, vectors and hybrid with DISCO_EMBEDDER=hashed and =static, index files/s of
// both, and embedding chunks/s of both measured alternately in one run.
// Writes bench/results/embedder-eval.json. The held-out packages are fetched once (apt-get download,
// npm pack) into $DISCO_EMBED_EVAL_CACHE (default: <tmp>/disco-embed-eval).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HashedEmbedder } from '../dist/daemon/rag/hashed-embedder.js';
import { StaticEmbedder } from '../dist/daemon/rag/static-embedder.js';
import { tokenize } from '../dist/daemon/rag/tokens.js';
import { extractPairs, sourceFiles } from '../scripts/train-embedder/extract-pairs.mjs';
import { splitOf } from '../scripts/train-embedder/terms.mjs';
import { benchDaemon } from './lib/bench-daemon.mjs';
import { rankOf } from './lib/rag-eval-cases.mjs';

const here = (p) => new URL(p, import.meta.url).pathname;
const CORPUS_TSV = here('../scripts/train-embedder/corpus.tsv');
const cache = process.env.DISCO_EMBED_EVAL_CACHE ?? path.join(os.tmpdir(), 'disco-embed-eval');
const MAX_QUERIES = Number(process.env.MAX_QUERIES ?? 400);
const LANGS = (process.env.LANGS ?? 'python,go,rust,js').split(',');

const held = readFileSync(CORPUS_TSV, 'utf8')
  .split('\n')
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => l.split('\t'))
  .filter((r) => splitOf(r[2]) === 'test' && LANGS.includes(r[0]));
const missing = held.filter((r) => !existsSync(path.join(cache, r[0], r[2].replace('/', '__'))));
if (missing.length > 0) {
  const list = path.join(cache, 'missing.tsv');
  await mkdir(cache, { recursive: true });
  await writeFile(list, `${missing.map((r) => r.slice(0, 4).join('\t')).join('\n')}\n`);
  execFileSync(process.execPath, [here('../scripts/train-embedder/fetch-corpus.mjs'), list, cache], {
    stdio: 'inherit',
  });
}

/** Per language: the files to index (comments blanked) and the queries with every place that answers. */
function buildSet(lang) {
  const files = [];
  const byDoc = new Map();
  for (const [, , name] of held.filter((r) => r[0] === lang)) {
    const root = path.join(cache, lang, name.replace('/', '__'));
    if (!existsSync(root)) continue;
    for (const f of sourceFiles(root, lang)) {
      const lines = readFileSync(f.abs, 'utf8').split('\n');
      const pairs = extractPairs(lines.join('\n'), lang);
      // The indexer skips dist/ and build/ as generated: published packages keep their code there.
      const rel = `${name.replace('/', '__')}/${f.rel}`.replace(/(^|\/)(dist|build|out|lib64)\//g, '$1$2_/');
      for (const p of pairs) {
        for (let k = p.docLines[0]; k <= p.docLines[1]; k++) lines[k] = '';
        const key = `${name}\n${p.doc}`;
        const q = byDoc.get(key) ?? { query: p.doc, answers: [] };
        q.answers.push({ path: rel, line: p.line + 1 });
        byDoc.set(key, q);
      }
      files.push({ rel, text: lines.join('\n') });
    }
  }
  // A fixed sample when there are many: every k-th query in a stable order.
  const all = [...byDoc.values()].sort((a, b) => (a.answers[0].path + a.query < b.answers[0].path + b.query ? -1 : 1));
  const step = Math.max(1, all.length / MAX_QUERIES);
  const queries = [];
  for (let i = 0; i < all.length && queries.length < MAX_QUERIES; i += step) queries.push(all[Math.floor(i)]);
  return { files, queries, packages: new Set(held.filter((r) => r[0] === lang).map((r) => r[2])).size };
}

const metrics = (ranks) => ({
  recallAt5: round(ranks.filter((r) => r <= 5).length / ranks.length),
  mrrAt10: round(ranks.reduce((s, r) => s + (r <= 10 ? 1 / r : 0), 0) / ranks.length),
});

const results = { corpus: 'scripts/train-embedder/corpus.tsv, split=test (held out)', languages: {} };
const chunkTexts = [];
for (const lang of LANGS) {
  const set = buildSet(lang);
  const out = { packages: set.packages, files: set.files.length, queries: set.queries.length };
  for (const embedder of ['hashed', 'static']) {
    const b = await benchDaemon({ DISCO_EMBEDDER: embedder });
    try {
      const c = await b.container(`eval-${lang}`);
      for (const f of set.files) {
        const dest = path.join(c.root, f.rel);
        await mkdir(path.dirname(dest), { recursive: true });
        await writeFile(dest, f.text);
      }
      const t = performance.now();
      const indexed = await b.index(c.id);
      const wallMs = performance.now() - t;
      const rag = b.daemon.services.rag;
      const modes = embedder === 'hashed' ? ['bm25', 'vector', 'hybrid'] : ['vector', 'hybrid'];
      const ranks = Object.fromEntries(modes.map((m) => [m, []]));
      for (const q of set.queries) {
        for (const mode of modes) {
          const r = await rag.searchIndex(c.id, q.query, { k: 10, mode });
          ranks[mode].push(rankOf(r.results, q));
        }
      }
      out.chunks = indexed.chunks;
      if (embedder === 'hashed') out.bm25 = metrics(ranks.bm25);
      out[embedder] = {
        vector: metrics(ranks.vector),
        hybrid: metrics(ranks.hybrid),
        indexFilesPerSecond: Math.round(set.files.length / (wallMs / 1000)),
      };
      if (embedder === 'static' && chunkTexts.length < 20_000) {
        for (const q of set.queries) chunkTexts.push(q.query);
        for (const f of set.files) chunkTexts.push(f.text.slice(0, 2000));
      }
    } finally {
      await b.stop();
    }
  }
  results.languages[lang] = out;
  console.log(lang, JSON.stringify(out));
}

// Embedding speed, alternating rounds in one process (timing on a shared machine is noise otherwise).
const hashed = new HashedEmbedder(384);
const stat = new StaticEmbedder(384);
const tokens = chunkTexts.map((t) => tokenize(t));
stat.embedTokens(tokens[0] ?? []);
const speed = { hashed: [], static: [] };
for (let round = 0; round < 3; round++) {
  for (const [name, e] of [
    ['hashed', hashed],
    ['static', stat],
  ]) {
    const t = performance.now();
    for (const tk of tokens) e.embedTokens(tk);
    speed[name].push(tokens.length / ((performance.now() - t) / 1000));
  }
}
results.embedChunksPerSecond = {
  texts: tokens.length,
  hashed: Math.round(Math.max(...speed.hashed)),
  static: Math.round(Math.max(...speed.static)),
};
results.staticBeatsHashed = Object.values(results.languages).every(
  (l) => l.static.vector.mrrAt10 >= l.hashed.vector.mrrAt10 && l.static.hybrid.mrrAt10 >= l.hashed.hybrid.mrrAt10,
);
console.log(JSON.stringify(results, null, 2));
await writeFile(here('./results/embedder-eval.json'), `${JSON.stringify(results, null, 2)}\n`);

function round(n) {
  return Math.round(n * 1000) / 1000;
}

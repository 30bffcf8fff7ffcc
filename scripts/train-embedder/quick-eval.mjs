// Fast check of a trained table on held-out packages (no daemon): each doc comment asks for its
// definition among all definitions of its package; vector similarity only. Reports recall@5 / MRR@10
// per language for the hashed embedder, the learnt half alone, and their mix at several lexical shares.
// Usage: node quick-eval.mjs <corpus dir> <corpus.tsv> <table.bin> [valid|test]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { HashedEmbedder } from '../../dist/daemon/rag/hashed-embedder.js';
import { StaticEmbedder } from '../../dist/daemon/rag/static-embedder.js';
import { extractPairs, sourceFiles } from './extract-pairs.mjs';
import { splitOf } from './terms.mjs';

const [corpusDir, corpusList, table, split = 'valid'] = process.argv.slice(2);
const hashed = new HashedEmbedder(384);
const learnt = new StaticEmbedder(384, path.resolve(table), 0);
const SHARES = [0, 0.3, 0.4, 0.5, 0.6, 0.7, 1];
const byLang = {};
for (const line of readFileSync(corpusList, 'utf8').split('\n')) {
  if (!line || line.startsWith('#')) continue;
  const [lang, , name] = line.split('\t');
  if (splitOf(name) !== split) continue;
  const root = path.join(corpusDir, lang, name.replace('/', '__'));
  const items = [];
  const seen = new Set();
  try {
    for (const f of sourceFiles(root, lang))
      for (const p of extractPairs(readFileSync(f.abs, 'utf8'), lang)) {
        if (seen.has(p.doc)) continue;
        seen.add(p.doc);
        items.push({ doc: p.doc, code: `${f.rel.split('/').slice(-3).join('/')}\n${p.symbol}\n${p.code}` });
      }
  } catch {
    continue;
  }
  if (items.length < 5) continue;
  const lex = (t) => hashed.embedOne(t);
  const sem = (t) => learnt.embedOne(t).subarray(384);
  const cl = items.map((x) => lex(x.code));
  const cs = items.map((x) => sem(x.code));
  byLang[lang] ??= { queries: 0, packages: 0, r: SHARES.map(() => [0, 0]) };
  const acc = byLang[lang];
  acc.packages++;
  for (let qi = 0; qi < items.length; qi++) {
    const ql = lex(items[qi].doc);
    const qs = sem(items[qi].doc);
    const sl = cl.map((v) => dot(v, ql));
    const ss = cs.map((v) => dot(v, qs));
    acc.queries++;
    SHARES.forEach((a, si) => {
      const target = a * sl[qi] + (1 - a) * ss[qi];
      let rank = 1;
      for (let j = 0; j < items.length; j++) if (j !== qi && a * sl[j] + (1 - a) * ss[j] > target) rank++;
      if (rank <= 5) acc.r[si][0]++;
      if (rank <= 10) acc.r[si][1] += 1 / rank;
    });
  }
}
for (const [lang, a] of Object.entries(byLang)) {
  const cells = SHARES.map(
    (s, i) => `l${s}: ${(a.r[i][0] / a.queries).toFixed(3)}/${(a.r[i][1] / a.queries).toFixed(3)}`,
  );
  process.stdout.write(`${lang} (${a.packages} pkgs, ${a.queries} q) ${cells.join('  ')}\n`);
}
function dot(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

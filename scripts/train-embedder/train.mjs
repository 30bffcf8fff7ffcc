// Trains the static token embeddings shipped in assets/embedder/ (see docs/rag.md, "Static embedder").
//
// Every (doc comment, code) pair of the training packages is turned into two bags of terms with the very
// functions the daemon uses at run time (dist/daemon/rag: tokenize, then the hashed embedder's stemmed
// camelCase/snake_case parts). A text's vector is the idf-weighted sum of its terms' vectors, normalised;
// the vectors are learnt with a contrastive loss (InfoNCE, both directions, in-batch negatives drawn from
// the same package so they share its vocabulary) so a doc comment's words land near the code they
// describe. Plain Node and typed arrays, seeded, single-threaded: the same corpus gives the same bytes.
//
// Usage: npm run build; node scripts/train-embedder/train.mjs <corpus dir> <corpus.tsv> <out.bin>
//   env: DIM (128), VOCAB (22000), EPOCHS (3), BATCH (256), LR (0.1), SEED (1), STRIP_NAME (1); the
//   VOCAB and EPOCHS defaults are those of both tables in docs/rag.md.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { extractPairs, sourceFiles } from './extract-pairs.mjs';
import { splitOf, termCounts } from './terms.mjs';

const [corpusDir, corpusList, outFile] = process.argv.slice(2);
if (!corpusDir || !corpusList || !outFile) throw new Error('usage: train.mjs <corpus dir> <corpus.tsv> <out.bin>');
const DIM = Number(process.env.DIM ?? 128);
const VOCAB = Number(process.env.VOCAB ?? 22_000);
const EPOCHS = Number(process.env.EPOCHS ?? 3);
const BATCH = Number(process.env.BATCH ?? 256);
const TAU = 0.05;
const LR = Number(process.env.LR ?? 0.1);
const STRIP_NAME = process.env.STRIP_NAME !== '0';
const rand = mulberry32(Number(process.env.SEED ?? 1));
const log = (...a) => process.stderr.write(`${a.join(' ')}\n`);

// 1. Pairs of the training split (held-out packages are for bench/embedder-eval.mjs only).
const packages = readFileSync(corpusList, 'utf8')
  .split('\n')
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => l.split('\t'))
  .filter(([, , name]) => splitOf(name) === 'train');
// Guard: the evaluation corpora (bench/rag-eval, both halves) are excluded by package name in
// select-corpus.mjs, but other packages can vendor or bundle their code (an npm build inlining lodash
// functions with their JSDoc). A pair whose doc is an evaluation question, or whose definition line is an
// evaluation answer's, is dropped.
const evalKeys = await evaluationKeys();
const raw = [];
let leaked = 0;
for (const [lang, , name] of packages) {
  const root = path.join(corpusDir, lang, name.replace('/', '__'));
  let files;
  try {
    files = sourceFiles(root, lang);
  } catch {
    continue;
  }
  const seen = new Set();
  for (const f of files) {
    for (const p of extractPairs(readFileSync(f.abs, 'utf8'), lang)) {
      if (seen.has(p.doc)) continue;
      seen.add(p.doc);
      if (evalKeys.has(docKey(p.doc)) || evalKeys.has(defKey(p.symbol, p.code.split('\n')[0]))) {
        leaked++;
        continue;
      }
      const rel = f.rel.split('/').slice(-3).join('/');
      // Go's convention starts a comment with the name ("Chunk splits …"); the questions never do (the
      // evaluation drops it too), so the doc side must not lean on it.
      const doc = STRIP_NAME
        ? p.doc.replace(new RegExp(`^(?:(?:A|An|The)\\s+)?${p.symbol.replace(/\$/g, '\\$')}\\b\\s*`), '')
        : p.doc;
      if (doc.split(' ').length < 3) continue;
      raw.push({ pkg: name, doc: termCounts(doc), code: termCounts(`${rel}\n${p.symbol}\n${p.code}`) });
    }
  }
}
log(`pairs ${raw.length} from ${packages.length} packages (${leaked} dropped as evaluation questions or answers)`);

function docKey(doc) {
  return `d:${doc
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()}`;
}
function defKey(symbol, line) {
  return `s:${symbol}:${line.trim().replace(/\s+/g, ' ')}`;
}
/** Keys of every question and answer of bench/rag-eval (fetched into bench/.cache by the bench). */
async function evaluationKeys() {
  const { loadSets, readPackages } = await import('../../bench/lib/rag-eval-corpora.mjs');
  const { extractCases } = await import('../../bench/lib/rag-eval-cases.mjs');
  const keys = new Set();
  const all = (cases) => cases;
  for (const split of ['tune', 'report']) {
    for (const set of await loadSets(await readPackages(), split, Infinity, extractCases, all)) {
      const text = new Map(set.files.map((f) => [f.rel, f.text.split('\n')]));
      for (const c of set.cases) {
        keys.add(docKey(c.query));
        keys.add(defKey(c.symbol, text.get(c.path)?.[c.line - 1] ?? ''));
      }
    }
  }
  log(`evaluation keys ${keys.size}`);
  return keys;
}

// 2. Vocabulary: the most frequent terms (document frequency over both sides), and their idf.
const df = new Map();
for (const p of raw) for (const side of [p.doc, p.code]) for (const t of side.keys()) df.set(t, (df.get(t) ?? 0) + 1);
const vocab = [...df.entries()]
  .filter(([, n]) => n >= 3)
  .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
  .slice(0, VOCAB)
  .map(([t]) => t);
const index = new Map(vocab.map((t, i) => [t, i]));
const docs = 2 * raw.length;
const idf = new Float32Array(vocab.length);
vocab.forEach((t, i) => {
  idf[i] = Math.log(docs / (df.get(t) ?? 1));
});
log(`vocabulary ${vocab.length} (of ${df.size} terms)`);

const bag = (counts) => {
  const idx = [];
  const w = [];
  for (const [t, tf] of counts) {
    const i = index.get(t);
    if (i === undefined) continue;
    idx.push(i);
    w.push(idf[i] * (1 + Math.log(tf)));
  }
  return { idx: Int32Array.from(idx), w: Float32Array.from(w) };
};
const pairs = raw.map((p) => ({ pkg: p.pkg, doc: bag(p.doc), code: bag(p.code) })).filter((p) => p.doc.idx.length > 0);

// 3. Contrastive training with Adagrad on the rows a batch touches.
const E = new Float32Array(vocab.length * DIM);
for (let i = 0; i < E.length; i++) E[i] = gauss(rand) * 0.1;
const acc = new Float32Array(vocab.length * DIM).fill(1e-6);

function encode(b, out, o) {
  out.fill(0, o, o + DIM);
  for (let k = 0; k < b.idx.length; k++) {
    const r = b.idx[k] * DIM;
    const w = b.w[k];
    for (let d = 0; d < DIM; d++) out[o + d] += w * E[r + d];
  }
  let n = 0;
  for (let d = 0; d < DIM; d++) n += out[o + d] * out[o + d];
  n = Math.sqrt(n) || 1;
  for (let d = 0; d < DIM; d++) out[o + d] /= n;
  return n;
}

function batches() {
  const byPkg = new Map();
  for (const p of pairs) byPkg.set(p.pkg, [...(byPkg.get(p.pkg) ?? []), p]);
  const groups = shuffle([...byPkg.values()].map((g) => shuffle(g)));
  const flat = groups.flat();
  const out = [];
  for (let i = 0; i + 8 <= flat.length; i += BATCH) out.push(flat.slice(i, i + BATCH));
  return shuffle(out);
}

const U = new Float32Array(BATCH * DIM);
const V = new Float32Array(BATCH * DIM);
const nu = new Float32Array(BATCH);
const nv = new Float32Array(BATCH);
const S = new Float32Array(BATCH * BATCH);
const G = new Float32Array(BATCH * BATCH);
const dU = new Float32Array(BATCH * DIM);
const dV = new Float32Array(BATCH * DIM);
const grad = new Map();

for (let epoch = 0; epoch < EPOCHS; epoch++) {
  let total = 0;
  let count = 0;
  const lr = LR * (1 - epoch / (EPOCHS + 1));
  for (const batch of batches()) {
    const B = batch.length;
    for (let i = 0; i < B; i++) {
      nu[i] = encode(batch[i].doc, U, i * DIM);
      nv[i] = encode(batch[i].code, V, i * DIM);
    }
    for (let i = 0; i < B; i++)
      for (let j = 0; j < B; j++) {
        let s = 0;
        for (let d = 0; d < DIM; d++) s += U[i * DIM + d] * V[j * DIM + d];
        S[i * B + j] = s / TAU;
      }
    G.fill(0, 0, B * B);
    let loss = 0;
    for (let i = 0; i < B; i++) loss += softmaxInto(S, G, i * B, 1, B, i, 0.5 / B);
    for (let j = 0; j < B; j++) loss += softmaxInto(S, G, j, B, B, j, 0.5 / B);
    total += loss / (2 * B);
    count++;
    dU.fill(0);
    dV.fill(0);
    for (let i = 0; i < B; i++)
      for (let j = 0; j < B; j++) {
        const g = G[i * B + j] / TAU;
        if (g === 0) continue;
        for (let d = 0; d < DIM; d++) {
          dU[i * DIM + d] += g * V[j * DIM + d];
          dV[j * DIM + d] += g * U[i * DIM + d];
        }
      }
    grad.clear();
    for (let i = 0; i < B; i++) {
      backNorm(U, dU, i * DIM, nu[i]);
      backNorm(V, dV, i * DIM, nv[i]);
      scatter(batch[i].doc, dU, i * DIM);
      scatter(batch[i].code, dV, i * DIM);
    }
    for (const [row, g] of grad) {
      const r = row * DIM;
      for (let d = 0; d < DIM; d++) {
        acc[r + d] += g[d] * g[d];
        E[r + d] -= (lr * g[d]) / Math.sqrt(acc[r + d]);
      }
    }
  }
  log(`epoch ${epoch + 1}/${EPOCHS} loss ${(total / count).toFixed(4)}`);
}

/** Softmax over one row or column of S (stride), minus the one-hot target, scaled, added into G. */
function softmaxInto(S, G, start, stride, n, target, scale) {
  let max = -Infinity;
  for (let k = 0; k < n; k++) max = Math.max(max, S[start + k * stride]);
  let z = 0;
  for (let k = 0; k < n; k++) z += Math.exp(S[start + k * stride] - max);
  for (let k = 0; k < n; k++) {
    const p = Math.exp(S[start + k * stride] - max) / z;
    G[start + k * stride] += scale * (p - (k === target ? 1 : 0));
  }
  return -(S[start + target * stride] - max - Math.log(z));
}

/** Gradient through v = u / |u|: (dv - v (v·dv)) / |u|, in place. */
function backNorm(X, dX, o, n) {
  let dot = 0;
  for (let d = 0; d < DIM; d++) dot += X[o + d] * dX[o + d];
  for (let d = 0; d < DIM; d++) dX[o + d] = (dX[o + d] - X[o + d] * dot) / n;
}

function scatter(b, dX, o) {
  for (let k = 0; k < b.idx.length; k++) {
    let g = grad.get(b.idx[k]);
    if (!g) {
      g = new Float32Array(DIM);
      grad.set(b.idx[k], g);
    }
    const w = b.w[k];
    for (let d = 0; d < DIM; d++) g[d] += w * dX[o + d];
  }
}

// 4. The mean code vector (removed at run time so sign bits split the space evenly for the binary index).
const mean = new Float64Array(DIM);
const tmp = new Float32Array(DIM);
for (const p of pairs) {
  encode(p.code, tmp, 0);
  for (let d = 0; d < DIM; d++) mean[d] += tmp[d] / pairs.length;
}

// 5. Artefact: header JSON, vocabulary, idf (uint8, ×16), row scales (f32), int8 rows, mean (f32).
const q = new Int8Array(vocab.length * DIM);
const scales = new Float32Array(vocab.length);
for (let i = 0; i < vocab.length; i++) {
  let m = 0;
  for (let d = 0; d < DIM; d++) m = Math.max(m, Math.abs(E[i * DIM + d]));
  scales[i] = m / 127 || 1;
  for (let d = 0; d < DIM; d++) q[i * DIM + d] = Math.round(E[i * DIM + d] / scales[i]);
}
const vocabBytes = Buffer.from(vocab.join('\n'), 'utf8');
const idfBytes = Uint8Array.from(idf, (x) => Math.min(255, Math.round(x * 16)));
const body = [
  Buffer.from(idfBytes),
  Buffer.from(scales.buffer),
  Buffer.from(q.buffer),
  Buffer.from(Float32Array.from(mean).buffer),
];
const id = createHash('sha256').update(vocabBytes).update(Buffer.concat(body)).digest('hex').slice(0, 8);
const header = Buffer.from(
  JSON.stringify({
    format: 'disco-static-embedder',
    version: 1,
    id,
    dim: DIM,
    vocab: vocab.length,
    vocabBytes: vocabBytes.length,
    pairs: pairs.length,
    packages: packages.length,
    epochs: EPOCHS,
  }),
  'utf8',
);
const len = Buffer.alloc(4);
len.writeUInt32LE(header.length);
const pad = (n) => Buffer.alloc((4 - (n % 4)) % 4);
const head = Buffer.concat([len, header, vocabBytes, Buffer.from(idfBytes)]);
writeFileSync(
  outFile,
  Buffer.concat([
    head,
    pad(head.length),
    Buffer.from(scales.buffer),
    Buffer.from(q.buffer),
    Buffer.from(Float32Array.from(mean).buffer),
  ]),
);
log(`wrote ${outFile}`);

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function gauss(r) {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}
function shuffle(a) {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

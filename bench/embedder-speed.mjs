// Speed of the built-in embedders side by side, alternating in one run (timing on a shared machine is
// noise otherwise): embedding chunks/s on the chunk texts of the bench corpus (~2,000 real source files,
// tokenized once, as the indexer does), and index files/s of a full pass with DISCO_EMBEDDER=hashed and
// =static (forced rebuilds, hashed/static/hashed/static). Writes bench/results/embedder-speed.json.
import { readFile, writeFile } from 'node:fs/promises';
import { HashedEmbedder } from '../dist/daemon/rag/hashed-embedder.js';
import { StaticEmbedder } from '../dist/daemon/rag/static-embedder.js';
import { tokenize } from '../dist/daemon/rag/tokens.js';
import { benchDaemon } from './lib/bench-daemon.mjs';
import { copyCorpus, corpusFiles } from './lib/rag-corpus.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 2);
const list = await corpusFiles(2000);
const results = { files: list.length, rounds: ROUNDS };

// 1. Embedding alone: the texts the indexer embeds are chunks (~60 lines); files cut to that size.
const texts = [];
for (const f of list) {
  const lines = (await readFile(f.abs, 'utf8')).split('\n');
  for (let i = 0; i < lines.length && texts.length < 20_000; i += 60)
    texts.push(`${f.rel}\n${lines.slice(i, i + 60).join('\n')}`);
}
const tokens = texts.map((t) => tokenize(t));
const embedders = { hashed: new HashedEmbedder(384), static: new StaticEmbedder(384) };
embedders.static.embedTokens(tokens[0] ?? []);
const speed = { hashed: [], static: [] };
for (let round = 0; round < 3; round++) {
  for (const [name, e] of Object.entries(embedders)) {
    const t = performance.now();
    for (const tk of tokens) e.embedTokens(tk);
    speed[name].push(tokens.length / ((performance.now() - t) / 1000));
  }
}
results.embedChunksPerSecond = {
  chunks: tokens.length,
  hashed: Math.round(Math.max(...speed.hashed)),
  static: Math.round(Math.max(...speed.static)),
};
console.log('embedding', results.embedChunksPerSecond);

// 2. Whole index passes, alternating embedders on the same files.
const passes = { hashed: [], static: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const embedder of ['hashed', 'static']) {
    const b = await benchDaemon({ DISCO_EMBEDDER: embedder });
    try {
      const c = await b.container('speed');
      await copyCorpus(list, c.root);
      const t = performance.now();
      const s = await b.call('POST', '/rag/index', { container: c.id, wait: true });
      passes[embedder].push(Math.round(s.files / ((performance.now() - t) / 1000)));
    } finally {
      await b.stop();
    }
  }
}
results.indexFilesPerSecond = {
  hashed: passes.hashed,
  static: passes.static,
  bestHashed: Math.max(...passes.hashed),
  bestStatic: Math.max(...passes.static),
};
console.log('index', results.indexFilesPerSecond);
await writeFile(new URL('./results/embedder-speed.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);

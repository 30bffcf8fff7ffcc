// RAG speed, this build against another one in the same process: first-pass throughput (two passes
// each, alternating) and search latency at ~100k chunks (queries alternating between the two), so the
// load of a shared machine falls on both alike. OTHER is a checkout of the other version with its
// `npm ci` and `npm run build` done (its bench/lib/bench-daemon.mjs is used, so the daemon is its own).
//   node bench/rag-ab.mjs OTHER [copies=8]
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchDaemon as newDaemon } from './lib/bench-daemon.mjs';
import { copyCorpus, corpusFiles } from './lib/rag-corpus.mjs';
import { summarize } from './lib/stats.mjs';

const [other, copiesArg] = process.argv.slice(2);
if (!other) throw new Error('usage: node bench/rag-ab.mjs OTHER_CHECKOUT [copies]');
const { benchDaemon: otherDaemon } = await import(
  pathToFileURL(path.resolve(other, 'bench/lib/bench-daemon.mjs')).href
);
const copiesWanted = Number(copiesArg ?? 8);
const sides = { other: await otherDaemon(), new: await newDaemon() };
try {
  const list = await corpusFiles(2000);
  const rate = { other: [], new: [] };
  for (let round = 0; round < 2; round++) {
    for (const name of round % 2 ? ['new', 'other'] : ['other', 'new']) {
      const b = sides[name];
      const c = await b.container(`first${round}`);
      await copyCorpus(list, c.root);
      const t = performance.now();
      const s = await b.call('POST', '/rag/index', { container: c.id, wait: true });
      rate[name].push(Math.round(s.files / ((performance.now() - t) / 1000)));
      await b.call('DELETE', `/rag/index?container=${c.id}`).catch(() => {});
    }
  }
  console.log('first-pass files/s', rate);
  const queries = [];
  for (const f of list) {
    const text = await readFile(f.abs, 'utf8');
    const m = /^\s*\*\s+([A-Z][a-z][^@\n]{25,120})$/m.exec(text);
    if (m) queries.push(m[1].trim());
    if (queries.length >= 100) break;
  }
  const scale = {};
  for (const name of ['other', 'new']) {
    const b = sides[name];
    const c = await b.container('scale');
    for (let i = 0; i < copiesWanted; i++) await copyCorpus(list, c.root, `copy${i}`);
    const s = await b.call('POST', '/rag/index', { container: c.id, wait: true });
    scale[name] = c.id;
    console.log(name, 'chunks', s.chunks);
  }
  const lat = { other: { hybrid: [], bm25: [] }, new: { hybrid: [], bm25: [] } };
  for (let round = 0; round < 2; round++) {
    for (const q of queries) {
      for (const mode of ['hybrid', 'bm25']) {
        for (const name of round % 2 ? ['new', 'other'] : ['other', 'new']) {
          const t = performance.now();
          await sides[name].daemon.services.rag.searchIndex(scale[name], q, { k: 10, mode });
          if (round > 0) lat[name][mode].push(performance.now() - t);
        }
      }
    }
  }
  for (const name of ['other', 'new'])
    console.log(name, 'hybrid', summarize(lat[name].hybrid), 'bm25', summarize(lat[name].bm25));
} finally {
  await sides.other.stop();
  await sides.new.stop();
}

// Diffs two V8 heap snapshots by constructor: which kinds of object grew between them (count and bytes).
//   node bench/heap-diff.mjs early.heapsnapshot late.heapsnapshot [top=25]
// For the soak's LOAD_SNAPSHOT_AT snapshots (see bench/load.mjs).
import { readFile } from 'node:fs/promises';

async function byConstructor(file) {
  const snap = JSON.parse(await readFile(file, 'utf8'));
  const { node_fields: fields, node_types: types } = snap.snapshot.meta;
  const width = fields.length;
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const typeNames = types[0];
  const out = new Map();
  const nodes = snap.nodes;
  for (let i = 0; i < nodes.length; i += width) {
    const type = typeNames[nodes[i + iType]];
    const name = type === 'object' || type === 'closure' ? snap.strings[nodes[i + iName]] : `(${type})`;
    const e = out.get(name) ?? { count: 0, bytes: 0 };
    e.count += 1;
    e.bytes += nodes[i + iSize];
    out.set(name, e);
  }
  return out;
}

const [a, b, top = '25'] = process.argv.slice(2);
const [early, late] = await Promise.all([byConstructor(a), byConstructor(b)]);
const rows = [...late].map(([name, l]) => {
  const e = early.get(name) ?? { count: 0, bytes: 0 };
  return {
    name,
    count: l.count - e.count,
    kb: Math.round((l.bytes - e.bytes) / 1024),
    totalKb: Math.round(l.bytes / 1024),
  };
});
rows.sort((x, y) => y.kb - x.kb);
const total = (m) => Math.round([...m.values()].reduce((s, e) => s + e.bytes, 0) / 1024 / 1024);
console.log(`live heap: ${total(early)} MB -> ${total(late)} MB`);
console.table(rows.slice(0, Number(top)));

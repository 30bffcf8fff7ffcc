// Real code nobody here wrote, taken from packages installed by `npm ci`: the sources of well-known
// libraries. Used by bench/rag.mjs (throughput, latency) and bench/rag-eval.mjs (retrieval quality).
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const NODE_MODULES = fileURLToPath(new URL('../../node_modules/', import.meta.url));

/** Package folders and the files taken from each, in this order, until the wanted count. */
export const SOURCES = [
  { dir: 'rxjs/src', ext: /\.ts$/ },
  { dir: 'zod/src', ext: /\.ts$/ },
  { dir: 'ajv/lib', ext: /\.ts$/ },
  { dir: 'es-toolkit/dist', ext: /\.mjs$/ },
  { dir: 'hono/dist', ext: /\.js$/, skip: /\/cjs\// },
  { dir: 'undici/lib', ext: /\.js$/ },
  { dir: '@modelcontextprotocol/sdk/dist/esm', ext: /\.js$/ },
  { dir: 'socket.io/dist', ext: /\.js$/ },
  { dir: 'engine.io/build', ext: /\.js$/ },
  { dir: 'commander/lib', ext: /\.js$/ },
];

async function* files(dir) {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const abs = path.join(dir, e.name);
    if (e.isDirectory()) yield* files(abs);
    else if (e.isFile()) yield abs;
  }
}

/** Lists up to `max` source files as { abs, rel } (rel keeps the package path, e.g. rxjs/src/…). */
export async function corpusFiles(max = 2000, sources = SOURCES) {
  const out = [];
  for (const s of sources) {
    const base = path.join(NODE_MODULES, s.dir);
    for await (const abs of files(base)) {
      // Published builds live in dist/ or build/, which the indexer skips as generated: rename the folder.
      const rel = path
        .relative(NODE_MODULES, abs)
        .split(path.sep)
        .map((seg) => (seg === 'dist' || seg === 'build' ? 'pkg' : seg))
        .join('/');
      if (!s.ext.test(rel) || s.skip?.test(abs) || rel.endsWith('.d.ts')) continue;
      out.push({ abs, rel });
      if (out.length >= max) return out;
    }
  }
  return out;
}

/** Copies the corpus into `root` (optionally under a prefix), returning the relative paths written. */
export async function copyCorpus(list, root, prefix = '') {
  const dirs = new Set();
  for (const f of list) {
    const dest = path.join(root, prefix, f.rel);
    const d = path.dirname(dest);
    if (!dirs.has(d)) {
      await mkdir(d, { recursive: true });
      dirs.add(d);
    }
    await copyFile(f.abs, dest);
  }
  return list.map((f) => path.posix.join(prefix, f.rel));
}

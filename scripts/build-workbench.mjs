// Bundles the workbench page (workbench/main.ts with @webcontainer/api, xterm and socket.io-client) into
// dist/workbench/workbench.js and its style (xterm's and ours) into workbench.css: the daemon serves both
// itself, nothing comes from a CDN. Part of `npm run build`.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'workbench');
await mkdir(out, { recursive: true });
await build({
  entryPoints: [path.join(root, 'workbench', 'main.ts')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  platform: 'browser',
  splitting: false,
  outfile: path.join(out, 'workbench.js'),
  legalComments: 'none',
  logLevel: 'warning',
});
const require = createRequire(import.meta.url);
const xterm = await readFile(require.resolve('@xterm/xterm/css/xterm.css'), 'utf8');
const ours = await readFile(path.join(root, 'workbench', 'style.css'), 'utf8');
await writeFile(path.join(out, 'workbench.css'), `${xterm}\n${ours}`);

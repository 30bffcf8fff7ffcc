// Bundles each MCP Apps view (views/*.ts + views/shared/style.css) into one self-contained HTML file in
// dist/views/: script and style inlined, nothing fetched at run time. Part of `npm run build`.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const VIEWS = ['command', 'file', 'container', 'search', 'screenshot'];
const out = path.join(root, 'dist', 'views');

const css = (await readFile(path.join(root, 'views', 'shared', 'style.css'), 'utf8'))
  .replace(/\/\*[\s\S]*?\*\//g, '')
  .replace(/\s*\n\s*/g, '')
  .replace(/\s*([{};:,>])\s*/g, '$1');

await mkdir(out, { recursive: true });
const sizes = {};
for (const view of VIEWS) {
  const result = await build({
    entryPoints: [path.join(root, 'views', `${view}.ts`)],
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2020',
    platform: 'browser',
    write: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  // `</script` inside the code would end the element early.
  const js = result.outputFiles[0].text.replace(/<\/script/gi, '<\\/script');
  const html =
    '<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">' +
    `<title>Disco ${view}</title><style>${css}</style></head><body><div id="app"></div><script>${js}</script></body></html>`;
  await writeFile(path.join(out, `${view}.html`), html);
  sizes[view] = Buffer.byteLength(html);
}
if (process.argv.includes('--sizes')) process.stdout.write(`${JSON.stringify(sizes)}\n`);

// Bundles the CLI and the daemon into dist/bundle/ (esbuild, ES modules with code splitting), which
// bin/disco.js runs. Part of `npm run build`, after tsc (whose dist/ tree stays: worker threads, the sandbox
// supervisor and the tests load files from it).
//
// Perf: `disco serve` used to load ~280 of our own ES modules and `disco --help` ~35; Node resolves, reads
// and links each one. Bundled, the CLI is one file and each command that loads daemon code (serve, mcp,
// worker, doctor) adds a few chunks on use, as its `await import()` did. Packages stay external (installed
// in node_modules, loaded as before) but a few plain-JavaScript ones loaded at start (see BUNDLED): the
// others find their own files by path (native addons, wasm, pino's worker, socket.io's client files), are
// loaded on use only, or are loaded by other external packages too (one copy keeps `instanceof` true).
//
// A bundled module no longer sits where its source says, so `import.meta.url` is replaced in every
// bundled file by the URL of that file's own tsc output under dist/: whatever it finds beside itself
// (supervisor.cjs, workers, assets, `createRequire`) it finds exactly where the unbundled build would.
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');
const outdir = path.join(root, 'dist', 'bundle');

/** `import.meta.url` of a source file, as the URL of its tsc output relative to the bundle's folder. */
const ownUrl = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.tsx?$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!args.path.startsWith(src + path.sep) || !text.includes('import.meta.url')) return undefined;
      const rel = path
        .relative(src, args.path)
        .replace(/\.tsx?$/, '.js')
        .split(path.sep)
        .join('/');
      const url = `new URL(${JSON.stringify(`../${rel}`)}, import.meta.url).href`;
      return { contents: text.replaceAll('import.meta.url', url), loader: args.path.endsWith('x') ? 'tsx' : 'ts' };
    });
  },
};

/**
 * Packages bundled in, with the packages they depend on; every other package stays external (loaded from
 * node_modules as before). These are plain JavaScript the CLI or the daemon loads at start (zod ~95 ES
 * modules, express and its dependencies ~100 CommonJS files) that find no file of their own by path.
 * zod is also loaded by the MCP SDK from node_modules: two copies work together (its registry and config
 * live on globalThis and its classes check `instanceof` by trait). Nothing external loads the others.
 */
const BUNDLED = new Set(['zod', 'express', 'express-rate-limit', 'helmet', 'ignore', 'ipaddr.js', 'commander']);
/** Never bundled, even as a dependency: native addons, and packages that start workers by path. */
const NEVER = new Set(['better-sqlite3', 'sqlite-vec', 'keytar', '@lydell/node-pty', 'pino', 'thread-stream']);
/**
 * Dependencies of bundled packages that stay in node_modules because bundling them costs every start more
 * than loading them does. Perf: iconv-lite (body-parser's, ~550 KB with its code-page tables, which it
 * loads only when a body names a charset other than UTF-8) was two fifths of the daemon's main chunk, all
 * of it parsed at every start; mime-db (~230 KB) ran as one big object literal where Node reads its
 * db.json with JSON.parse. Each resolves to the one copy the bundled package would have used (checked in
 * test/unit/bundle-externals.test.ts).
 */
const LEAN = new Set(['iconv-lite', 'mime-db']);
const packageOf = (spec) =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');
const externals = {
  name: 'externals',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      const pkg = packageOf(args.path);
      const dependency = args.importer.includes(`${path.sep}node_modules${path.sep}`);
      if (args.path.startsWith('node:') || NEVER.has(pkg) || LEAN.has(pkg) || !(BUNDLED.has(pkg) || dependency))
        return { path: args.path, external: true };
      return undefined;
    });
  },
};

/**
 * zod's namespace re-exports every locale (`z.locales`, ~370 KB: half of zod in the bundle), and a namespace
 * used as a value keeps all of it; only English is used (zod configures it itself, and nothing here calls
 * `z.config` with another). Perf: the bundle's `z.locales` holds `en` alone, so the rest is not parsed at
 * every start. zod loaded from node_modules (the MCP SDK's) keeps them all.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
      if (!/[\\/]node_modules[\\/]zod[\\/]v4[\\/](classic|core)$/.test(args.resolveDir)) return undefined;
      return { path: path.join(args.resolveDir, '..', 'locales', 'index.js'), namespace: 'zod-locales' };
    });
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(path.join(path.dirname(args.path), 'en.js'))};`,
      resolveDir: path.dirname(args.path),
      loader: 'js',
    }));
  },
};

await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: { cli: path.join(src, 'cli', 'main.ts') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  // Chunks are named for what they hold, so a stack trace or profile still says where it is.
  chunkNames: '[name]-[hash]',
  tsconfig: path.join(root, 'tsconfig.build.json'),
  plugins: [zodEnglishOnly, externals, ownUrl],
  logLevel: 'warning',
  legalComments: 'none',
  // Bundled CommonJS packages `require` Node's built-ins; an ES module has no `require` of its own.
  banner: {
    js: "import { createRequire as __discoRequire } from 'node:module'; const require = __discoRequire(import.meta.url);",
  },
});

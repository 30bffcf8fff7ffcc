import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { disco } from '../helpers/cli.js';
import { staticImportGraph } from '../helpers/import-graph.js';

const dist = path.resolve('dist');
const rel = (f: string) => path.relative(dist, f);

/**
 * `disco --version` and client commands must not pay for the daemon: src/cli may load daemon code only by
 * dynamic import() in the commands that run it (serve, mcp, worker, doctor). Reads the built dist/ (the
 * code `bin/disco.js` runs), so run `npm run build` first.
 */
describe('the CLI entry', () => {
  const graph = staticImportGraph(path.join(dist, 'cli/main.js'));

  it('loads no daemon or MCP server module statically', () => {
    const outside = graph.files.map(rel).filter((f) => !f.startsWith('cli/') && !f.startsWith('shared/'));
    expect(outside).toEqual([]);
  });

  it('loads no heavy package statically (SQLite, Express, pino, the MCP SDK, socket.io)', () => {
    const external = graph.packages.filter((p) => !p.startsWith('node:'));
    expect(external).toEqual(['commander']);
  });

  it('stays small', () => {
    // The closing note of issue 16 quotes this number; a jump means something heavy came back.
    expect(graph.files.length).toBeLessThan(36); // 34: 27 at issue 16, then `ports`, `preview`, `files push|pull`, the command table (cli/table.js)
  });

  it('the walker follows static imports and not dynamic ones', () => {
    const serve = staticImportGraph(path.join(dist, 'cli/commands/serve.js'));
    expect(serve.files.map(rel)).toEqual(['cli/commands/serve.js', 'cli/log-pretty.js', 'shared/defaults.js']);
    expect(readFileSync(path.join(dist, 'cli/commands/serve.js'), 'utf8')).toContain("import('../../daemon/main.js')");
  });

  it('relays `disco mcp` to a running daemon without loading daemon code (no database, no sandboxes)', () => {
    const relay = staticImportGraph(path.join(dist, 'mcp/relay.js'));
    expect(relay.files.map(rel).filter((f) => !f.startsWith('shared/'))).toEqual(['mcp/relay.js']);
    expect(relay.packages.filter((p) => !p.startsWith('node:') && !p.startsWith('@modelcontextprotocol/sdk/'))).toEqual(
      [],
    );
    const command = readFileSync(path.join(dist, 'cli/commands/mcp.js'), 'utf8');
    // The in-process server (and the core it opens) is loaded only when no daemon answers.
    expect(command.indexOf("import('../../mcp/relay.js')")).toBeLessThan(
      command.indexOf("import('../../mcp/stdio.js')"),
    );
  });

  it('answers --version and -v (the fast path in bin/disco.js)', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    for (const args of [['--version'], ['-v']])
      expect(await disco(args, {})).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});

/** What bin/disco.js runs: the CLI and the daemon bundled by scripts/build-bundle.mjs (part of the build). */
describe('the bundled CLI', () => {
  const bundle = path.join(dist, 'bundle');

  it('is what bin/disco.js loads', () => {
    expect(readFileSync('bin/disco.js', 'utf8')).toContain("import('../dist/bundle/cli.js')");
  });

  it('loads built-ins only (commander is bundled in), from a few files, until a command needs more', () => {
    const graph = staticImportGraph(path.join(bundle, 'cli.js'));
    expect(graph.packages.filter((p) => !p.startsWith('node:'))).toEqual([]);
    expect(graph.files.length).toBeLessThan(10); // 7: the entry and the chunks it shares with the daemon
  });

  it('resolves import.meta.url to each module’s own file under dist/ (workers, supervisor.cjs, assets)', () => {
    const sources = readdirSync(bundle)
      .filter((f) => f.endsWith('.js'))
      // The banner's `require` (for the built-ins bundled CommonJS packages load) is the bundle's own.
      .map((f) => readFileSync(path.join(bundle, f), 'utf8').replace('__discoRequire(import.meta.url)', ''));
    const uses = sources.flatMap((text) => [...text.matchAll(/import\.meta\.url/g)]);
    const own = sources
      .flatMap((text) => [...text.matchAll(/new URL\("(\.\.\/[^"]+)", import\.meta\.url\)/g)])
      .map((m) => m[1] as string);
    // Every use is the rewritten form, and names a module tsc built (so `./supervisor.cjs` beside it exists too).
    expect(own.length).toBe(uses.length);
    expect(own).toContain('../daemon/sandbox/pool.js');
    for (const rel of own) expect(existsSync(path.join(bundle, rel)), rel).toBe(true);
  });
});

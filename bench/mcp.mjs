// MCP benchmark: file_read round trips over Streamable HTTP and stdio, beside the reference
// @modelcontextprotocol/server-filesystem reading the same 4 KiB file over stdio; the size of tools/list
// (what every connection costs a model's context) and of a capped exec/file_read result. Writes
// bench/results/mcp.json. With BENCH_BASELINE=<another checkout with a built dist/> (e.g. /work/main), that
// checkout's daemon is read over HTTP in the same loop: old and new side by side.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { spawnDaemon, stopDaemon } from './lib/daemon.mjs';
import { measure, measureEach } from './lib/stats.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TOKEN = `bench-${Date.now()}-token-padding`;
const N = Number(process.env.BENCH_N ?? 500);
const BASELINE = process.env.BENCH_BASELINE;
const env = { PATH: process.env.PATH, HOME: process.env.HOME };

async function connect(transport) {
  const client = new Client({ name: 'disco-bench', version: '1' });
  const started = performance.now();
  await client.connect(transport);
  return { client, connectMs: Math.round((performance.now() - started) * 10) / 10 };
}

const home = await mkdtemp(path.join(os.tmpdir(), 'disco-bench-mcp-'));
const results = {};
try {
  // One workspace, one 4 KiB file, read by all three servers.
  const { child, url } = await spawnDaemon(home, TOKEN);
  try {
    const http = await connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
      }),
    );
    const created = await http.client.callTool({ name: 'container_create', arguments: { name: 'bench' } });
    const id = created.structuredContent.id;
    await http.client.callTool({
      name: 'file_write',
      arguments: { container: id, path: 'four-k.txt', content: `${'x'.repeat(4095)}\n` },
    });
    const file = path.join(home, 'containers', id, 'four-k.txt');

    const stdio = await connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [path.join(ROOT, 'bin/disco.js'), 'mcp'],
        env: { ...env, DISCO_HOME: home },
        stderr: 'ignore',
      }),
    );
    const reference = await connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [
          path.join(ROOT, 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js'),
          path.dirname(file),
        ],
        env,
        stderr: 'ignore',
      }),
    );

    // What a model pays for the tool list, as the admin sees it (every tool), serialized as on the wire.
    const { tools } = await http.client.listTools();
    results.toolsList = { tools: tools.length, bytes: Buffer.byteLength(JSON.stringify({ tools })) };

    const read = (c) => () => c.callTool({ name: 'file_read', arguments: { container: id, path: 'four-k.txt' } });
    // HTTP and stdio alternate call by call, so both see the same machine load (the goal is their ratio).
    const old = BASELINE ? await baselineReader() : undefined;
    const [h, s, b] = await measureEach(N, [read(http.client), read(stdio.client), ...(old ? [old.read] : [])]);
    results.discoHttp = { ...h, connectMs: http.connectMs };
    results.discoStdio = { ...s, connectMs: stdio.connectMs };
    if (old) {
      results.baselineHttp = { ...b, checkout: BASELINE };
      await old.close();
    }
    results.referenceStdio = {
      ...(await measure(N, () => reference.client.callTool({ name: 'read_text_file', arguments: { path: file } }))),
      connectMs: reference.connectMs,
    };
    const ratio = (a, b) => Math.round((a / b) * 100) / 100;
    results.ratios = {
      discoStdioVsReferenceP50: ratio(results.discoStdio.p50, results.referenceStdio.p50),
      discoStdioVsReferenceP95: ratio(results.discoStdio.p95, results.referenceStdio.p95),
      discoHttpVsReferenceP50: ratio(results.discoHttp.p50, results.referenceStdio.p50),
    };
    results.ratios.discoHttpVsStdioP50 = ratio(results.discoHttp.p50, results.discoStdio.p50);
    if (results.baselineHttp) {
      results.ratios.baselineHttpVsStdioP50 = ratio(results.baselineHttp.p50, results.discoStdio.p50);
    }
    results.goal = {
      text: "Disco's stdio read <= the reference's (p50)",
      pass: results.discoStdio.p50 <= results.referenceStdio.p50,
    };
    results.httpGoal = {
      text: "Disco's Streamable HTTP read < 2x its stdio read (p50), measured in the same run",
      pass: results.ratios.discoHttpVsStdioP50 < 2,
    };
    for (const c of [http, stdio, reference]) await c.client.close();
  } finally {
    await stopDaemon(child);
  }
} finally {
  await rm(home, { recursive: true, force: true });
}

/** The baseline checkout's daemon with the same 4 KiB file, read over Streamable HTTP. */
async function baselineReader() {
  const oldHome = await mkdtemp(path.join(os.tmpdir(), 'disco-bench-mcp-base-'));
  const { spawn } = await import('node:child_process');
  const child = spawn(
    process.execPath,
    [path.join(BASELINE, 'bin/disco.js'), 'serve', '--port', '0', '--home', oldHome],
    {
      env: { ...env, DISCO_ADMIN_TOKEN: TOKEN, DISCO_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stderr.on('data', (d) => {
      out += d;
      const m = /Disco listening on (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`baseline exited with ${code}: ${out}`)));
  });
  const { client } = await connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
    }),
  );
  const created = await client.callTool({ name: 'container_create', arguments: { name: 'bench' } });
  const id = created.structuredContent.id;
  await client.callTool({
    name: 'file_write',
    arguments: { container: id, path: 'four-k.txt', content: `${'x'.repeat(4095)}\n` },
  });
  return {
    read: () => client.callTool({ name: 'file_read', arguments: { container: id, path: 'four-k.txt' } }),
    close: async () => {
      await client.close();
      await stopDaemon(child);
      await rm(oldHome, { recursive: true, force: true });
    },
  };
}

await mkdir(new URL('./results/', import.meta.url), { recursive: true });
const out = new URL('./results/mcp.json', import.meta.url);
await writeFile(
  out,
  `${JSON.stringify({ benchmark: 'mcp', at: new Date().toISOString(), node: process.version, samples: N, results }, null, 2)}\n`,
);
console.log('MCP file_read of 4 KiB   p50(ms)  p95(ms)  connect(ms)');
for (const [name, r] of [
  ['disco, Streamable HTTP', results.discoHttp],
  ['disco, stdio', results.discoStdio],
  ['server-filesystem, stdio', results.referenceStdio],
  ...(results.baselineHttp ? [['baseline, Streamable HTTP', results.baselineHttp]] : []),
]) {
  console.log(`${name.padEnd(25)}${String(r.p50).padEnd(9)}${String(r.p95).padEnd(9)}${r.connectMs}`);
}
console.log(
  `stdio ratio disco/reference (p50): ${results.ratios.discoStdioVsReferenceP50} — goal <= 1: ${results.goal.pass}`,
);
console.log(`HTTP/stdio ratio (p50): ${results.ratios.discoHttpVsStdioP50} — goal < 2: ${results.httpGoal.pass}`);
if (results.baselineHttp) console.log(`baseline HTTP/stdio ratio (p50): ${results.ratios.baselineHttpVsStdioP50}`);
console.log(`tools/list: ${results.toolsList.tools} tools, ${results.toolsList.bytes} bytes`);
console.log(`report: ${path.relative(process.cwd(), fileURLToPath(out))}`);

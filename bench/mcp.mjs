// MCP benchmark: file_read round trips over Streamable HTTP and stdio, beside the reference
// @modelcontextprotocol/server-filesystem reading the same 4 KiB file over stdio; the size of tools/list
// (what every connection costs a model's context) and of a capped exec/file_read result. Writes
// bench/results/mcp.json.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { spawnDaemon, stopDaemon } from './lib/daemon.mjs';
import { measure, measurePair } from './lib/stats.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TOKEN = `bench-${Date.now()}-token-padding`;
const N = 500;
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
    const pair = await measurePair(N, read(http.client), read(stdio.client));
    results.discoHttp = { ...pair.a, connectMs: http.connectMs };
    results.discoStdio = { ...pair.b, connectMs: stdio.connectMs };
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
]) {
  console.log(`${name.padEnd(25)}${String(r.p50).padEnd(9)}${String(r.p95).padEnd(9)}${r.connectMs}`);
}
console.log(
  `stdio ratio disco/reference (p50): ${results.ratios.discoStdioVsReferenceP50} — goal <= 1: ${results.goal.pass}`,
);
console.log(`HTTP/stdio ratio (p50): ${results.ratios.discoHttpVsStdioP50} — goal < 2: ${results.httpGoal.pass}`);
console.log(`tools/list: ${results.toolsList.tools} tools, ${results.toolsList.bytes} bytes`);
console.log(`report: ${path.relative(process.cwd(), fileURLToPath(out))}`);

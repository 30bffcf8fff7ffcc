// Load benchmark (autocannon on loopback, bounded in time): writes bench/results/load.json.
//   npm run bench:load                      each scenario at 10 and 100 connections for LOAD_SECONDS (30)
//   LOAD_SECONDS=5 npm run bench:load       shorter runs
//   npm run bench:load:soak                 one mixed 10-minute run (LOAD_SOAK_SECONDS) for leaks: load-soak.json
// The daemon is a separate process with default settings (info logs included) and the admin token; the
// client runs in this process, so on a 2-core machine both compete for the same CPUs.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { rssMb, spawnDaemon, stopDaemon } from './lib/daemon.mjs';

const TOKEN = `load-${Date.now()}-token-padding`;
const SOAK = process.argv.includes('--soak') || process.env.LOAD_SOAK === '1';
const SECONDS = Number(process.env.LOAD_SECONDS || 30);
const SOAK_SECONDS = Number(process.env.LOAD_SOAK_SECONDS || 600);
const CONNECTIONS = (process.env.LOAD_CONNECTIONS || '10,100').split(',').map(Number);
const ONLY = process.env.LOAD_SCENARIOS?.split(',');
const auth = { authorization: `Bearer ${TOKEN}` };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function run(opts) {
  return new Promise((resolve, reject) => {
    const instance = autocannon({ timeout: 10, ...opts }, (err, result) => (err ? reject(err) : resolve(result)));
    autocannon.track(instance, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false });
  });
}

const summary = (name, connections, r) => ({
  name,
  connections,
  seconds: r.duration,
  requests: r.requests.total,
  reqPerSec: Math.round(r.requests.average),
  p50Ms: r.latency.p50,
  p99Ms: r.latency.p99,
  maxMs: r.latency.max,
  errors: r.errors + r.timeouts + r.non2xx,
  detail: { errors: r.errors, timeouts: r.timeouts, non2xx: r.non2xx, resets: r.resets },
});

async function json(url, method, body, headers = {}) {
  const res = await fetch(url, {
    method,
    headers: { ...auth, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
  return { res, body: res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text() };
}

/** Heap in use (MB) from the daemon's own /metrics: tells a leak (heap grows) from allocator retention (only RSS). */
async function heapUsedMb(url) {
  const text = await (await fetch(`${url}/metrics`, { headers: auth })).text();
  const bytes = Number(/^nodejs_heap_size_used_bytes (\S+)$/m.exec(text)?.[1] ?? Number.NaN);
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}

/** An MCP session over Streamable HTTP: initialize, then the headers every later request carries. */
async function mcpSession(url) {
  const accept = { accept: 'application/json, text/event-stream' };
  const init = await json(
    `${url}/mcp`,
    'POST',
    {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'load', version: '1' } },
    },
    accept,
  );
  const session = init.res.headers.get('mcp-session-id');
  const headers = { ...auth, ...accept, 'content-type': 'application/json', 'mcp-session-id': session };
  headers['mcp-protocol-version'] = '2025-06-18';
  await fetch(`${url}/mcp`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  return headers;
}

async function main() {
  const home = await mkdtemp(path.join(os.tmpdir(), 'disco-load-'));
  // Rate limits at their ceiling: this measures the daemon, not its limiter's budget.
  const { child, url } = await spawnDaemon(home, TOKEN, {
    DISCO_LOG_LEVEL: 'info',
    DISCO_RATE_LIMIT_PER_MINUTE: '1000000',
    // To compare allocator settings (glibc's arena count), e.g. MALLOC_ARENA_MAX=2 npm run bench:load:soak.
    ...(process.env.MALLOC_ARENA_MAX ? { MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX } : {}),
  });
  // Keep the daemon's last output, to say why if it dies under load.
  let tail = '';
  const keep = (c) => {
    tail = (tail + c).slice(-8000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.once('exit', (code, signal) => {
    if (!stopping) console.error(`daemon died (code ${code}, signal ${signal}):\n${tail}`);
  });
  let stopping = false;
  try {
    const c = (await json(`${url}/api/v1/containers`, 'POST', { name: 'load' })).body;
    const content = `${'x'.repeat(4095)}\n`;
    await json(`${url}/api/v1/containers/${c.id}/files/content`, 'PUT', { path: 'four-k.txt', content });
    const mcpHeaders = await mcpSession(url);
    const toolCall = JSON.stringify({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'file_read', arguments: { container: c.id, path: 'four-k.txt' } },
    });
    const scenarios = {
      health: { url: `${url}/health` },
      file_read: { url: `${url}/api/v1/containers/${c.id}/files/content?path=four-k.txt`, headers: auth },
      exec_true: {
        url: `${url}/api/v1/terminal/execute`,
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ container: c.id, command: ['true'] }),
      },
      mcp_tools_call: { url: `${url}/mcp`, method: 'POST', headers: mcpHeaders, body: toolCall },
    };

    // Warm up (JIT, pools, SQLite caches) before the baseline RSS.
    for (const s of Object.values(scenarios)) await run({ ...s, connections: 4, duration: 2 });
    await sleep(2000);
    const rssBefore = await rssMb(child.pid);
    const heapBefore = await heapUsedMb(url);
    const runs = [];
    if (SOAK) {
      // One mixed run: every connection cycles through the four requests.
      const requests = Object.values(scenarios).map((s) => ({
        method: s.method ?? 'GET',
        path: new URL(s.url).pathname + new URL(s.url).search,
        headers: s.headers ?? {},
        ...(s.body ? { body: s.body } : {}),
      }));
      const r = await run({ url, connections: 10, duration: SOAK_SECONDS, requests });
      runs.push(summary('mixed', 10, r));
    } else {
      for (const [name, s] of Object.entries(scenarios).filter(([n]) => !ONLY || ONLY.includes(n))) {
        for (const connections of CONNECTIONS) {
          const r = await run({ ...s, connections, duration: SECONDS });
          runs.push(summary(name, connections, r));
          process.stderr.write(`${name} @${connections}: ${Math.round(r.requests.average)} req/s\n`);
          await sleep(1000);
        }
      }
    }
    await sleep(5000); // let the daemon settle (sockets closed, GC) before reading RSS again
    const rssAfter = await rssMb(child.pid);
    const heapAfter = await heapUsedMb(url);
    const rssChangePct = Math.round(((rssAfter - rssBefore) / rssBefore) * 1000) / 10;
    const find = (name, conns) =>
      runs.filter((r) => r.name === name && (conns === undefined || r.connections === conns));
    const goals = SOAK
      ? { zeroErrors: runs.every((r) => r.errors === 0), rssWithin10Pct: rssChangePct <= 10 }
      : {
          healthAtLeast2000: find('health').every((r) => r.reqPerSec >= 2000),
          fileReadAtLeast500: find('file_read').every((r) => r.reqPerSec >= 500),
          p99Under50Ms: Object.fromEntries(runs.map((r) => [`${r.name}@${r.connections}`, r.p99Ms < 50])),
          zeroErrors: runs.every((r) => r.errors === 0),
          rssWithin10Pct: rssChangePct <= 10,
        };
    const report = {
      machine: { cpus: os.cpus().length, node: process.version, platform: `${os.type()} ${os.release()}` },
      mode: SOAK ? 'soak' : 'load',
      secondsPerRun: SOAK ? SOAK_SECONDS : SECONDS,
      runs,
      rss: { beforeMb: rssBefore, afterMb: rssAfter, changePct: rssChangePct },
      heapUsed: { beforeMb: heapBefore, afterMb: heapAfter },
      goals,
    };
    const dir = new URL('./results/', import.meta.url);
    await mkdir(dir, { recursive: true });
    await writeFile(new URL(SOAK ? 'load-soak.json' : 'load.json', dir), `${JSON.stringify(report, null, 2)}\n`);
    console.table(runs.map(({ detail, ...r }) => r));
    console.log(JSON.stringify({ rss: report.rss, heapUsed: report.heapUsed, goals }, null, 2));
  } finally {
    stopping = true;
    await stopDaemon(child);
    await rm(home, { recursive: true, force: true });
  }
}

await main();

// Load benchmark (loopback, bounded in time): writes bench/results/load.json.
//   npm run bench:load                      each scenario at 10 and 100 connections for LOAD_SECONDS (30)
//   LOAD_SECONDS=5 npm run bench:load       shorter runs
//   npm run bench:load:soak                 one mixed 10-minute run (LOAD_SOAK_SECONDS) for leaks: load-soak.json
// Generator (LOAD_CLIENT): `wrk` (Debian's package; C, one thread) when it is installed, else autocannon in
// this process. On a 2-core machine generator and daemon share the CPUs: every run reports both CPU shares.
// Every run also reports the daemon's event-loop delay over the run (a stall shows there, queueing does
// not), the share of the run its event-loop thread ran and waited runnable for a CPU (/proc/<pid>/schedstat:
// the machine's part of the latency) and, with LOAD_NODE_FLAGS=--trace-gc, its GC pauses. The soak samples
// the daemon's memory by part every LOAD_SAMPLE_SECONDS (30). RSS is read after LOAD_SETTLE_SECONDS (15) of
// quiet both before and after the load (and at the end of the load: memory.endOfLoad). Other knobs:
// LOAD_BIN (another build's bin/disco.js, for old vs new), LOAD_NODE_FLAGS (node flags of the daemon),
// LOAD_SNAPSHOT_AT (soak seconds at which to write a heap snapshot; needs --heapsnapshot-signal=SIGUSR2 in
// LOAD_NODE_FLAGS), LOAD_DAEMON_LOG (file for the daemon's stdout), LOAD_OUT (result file name),
// LOAD_SCENARIOS, LOAD_CONNECTIONS.
// The daemon is a separate process with default settings (info logs included) and the admin token.
// Before each file_read run, the bare express floor (bench/lib/express-floor.mjs: the same 4 KiB read with no
// auth, checks or logging) runs under the same generator and connections: `floor_read`, the machine's own
// latency and tail (p99OverP50) beside the daemon's.
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { spawnDaemon, stopDaemon } from './lib/daemon.mjs';
import { cpuSeconds, gcTrace, mallocInfo, memory, probed } from './lib/load-probe.mjs';
import { runWrk, SEQ } from './lib/wrk.mjs';

const TOKEN = `load-${Date.now()}-token-padding`;
const SOAK = process.argv.includes('--soak') || process.env.LOAD_SOAK === '1';
const SECONDS = Number(process.env.LOAD_SECONDS || 30);
const SOAK_SECONDS = Number(process.env.LOAD_SOAK_SECONDS || 600);
const CONNECTIONS = (process.env.LOAD_CONNECTIONS || '10,100').split(',').map(Number);
const ONLY = process.env.LOAD_SCENARIOS?.split(',');
const auth = { authorization: `Bearer ${TOKEN}` };
// Long enough for the daemon's idle heap trim, which collects after ~8-10 s of quiet (heap-trim.ts).
const SETTLE_SECONDS = Number(process.env.LOAD_SETTLE_SECONDS || 15);
const SAMPLE_SECONDS = Number(process.env.LOAD_SAMPLE_SECONDS || 30);
const SNAPSHOT_AT = (process.env.LOAD_SNAPSHOT_AT ?? '').split(',').filter(Boolean).map(Number);
const NODE_FLAGS = (process.env.LOAD_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const hasWrk = () => {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    return err.status === 1; // wrk --version prints its version and exits 1
  }
};
const CLIENT = process.env.LOAD_CLIENT || (hasWrk() ? 'wrk' : 'autocannon');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One load run with the chosen generator; `requests` (cycled per connection) or a single `url`. */
function run(opts) {
  if (CLIENT === 'wrk') {
    const base = new URL(opts.url);
    const requests = opts.requests ?? [
      { method: opts.method, path: base.pathname + base.search, headers: opts.headers, body: opts.body },
    ];
    return runWrk({ url: base.origin, requests, connections: opts.connections, duration: opts.duration });
  }
  // autocannon: the same ids, each request its own (see SEQ).
  let seq = 0;
  const requests = opts.body?.includes(SEQ)
    ? [{ setupRequest: (req) => ({ ...req, body: opts.body.replace(SEQ, String(++seq)) }) }]
    : undefined;
  return new Promise((resolve, reject) => {
    const instance = autocannon({ timeout: 10, ...opts, ...(requests ? { requests } : {}) }, (err, result) =>
      err ? reject(err) : resolve(result),
    );
    autocannon.track(instance, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false });
  });
}

const summary = (name, connections, { result: r, probe }) => ({
  name,
  connections,
  seconds: r.duration,
  requests: r.requests.total,
  reqPerSec: Math.round(r.requests.average),
  p50Ms: r.latency.p50,
  p99Ms: r.latency.p99,
  p99OverP50: Math.round((r.latency.p99 / r.latency.p50) * 100) / 100,
  maxMs: r.latency.max,
  errors: r.errors + r.timeouts + r.non2xx,
  daemonCpuPct: probe.daemonCpuPct,
  clientCpuPct: probe.clientCpuPct,
  loopRunPct: probe.loopThreadRunPct,
  loopWaitCpuPct: probe.loopThreadRunQueuePct,
  loopDelayP99Ms: probe.loopDelayMs.p99,
  loopDelayMaxMs: probe.loopDelayMs.max,
  // With LOAD_NODE_FLAGS=--trace-gc-nvp: JS heap bytes allocated per request (GC pressure, load-independent).
  ...(probe.gc.allocatedMb ? { allocKbPerReq: Math.round((probe.gc.allocatedMb * 1024) / r.requests.total) } : {}),
  detail: { errors: r.errors, timeouts: r.timeouts, non2xx: r.non2xx, resets: r.resets, gc: probe.gc },
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

/** RSS by kind of mapping and the daemon's own figures, before → after, MB (memory.*.smaps has the rest). */
function memoryDelta(before, after) {
  const row = (b, a) => ({ before: b, after: a, delta: Math.round((a - b) * 10) / 10 });
  const rows = { rss: row(before.rss, after.rss) };
  for (const [k, v] of Object.entries(before.smaps)) if (typeof v === 'number') rows[k] = row(v, after.smaps[k]);
  for (const k of ['heapTotal', 'heapUsed', 'external', 'arrayBuffers']) rows[k] = row(before[k], after[k]);
  return rows;
}

/** The bare express floor (bench/lib/express-floor.mjs) reading its own 4 KiB file: the peer of file_read. */
async function startFloor(home) {
  const file = path.join(home, 'floor-four-k.txt');
  await writeFile(file, `${'x'.repeat(4095)}\n`);
  const child = spawn(process.execPath, [new URL('./lib/express-floor.mjs', import.meta.url).pathname, file], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const url = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`express floor exited with ${code}`)));
    child.stderr.on('data', (d) => {
      const m = /listening on (\S+)/.exec(String(d));
      if (m) resolve(m[1]);
    });
  });
  return { child, url };
}

/** One run of the floor: latency and the CPU of both processes, as for the daemon's runs. */
async function floorRun(floor, connections) {
  const cpu0 = await cpuSeconds(floor.child.pid);
  const started = performance.now();
  const r = await run({ url: `${floor.url}/read`, connections, duration: SECONDS });
  const wall = (performance.now() - started) / 1000;
  const cpu = (await cpuSeconds(floor.child.pid)) - cpu0;
  const probe = {
    daemonCpuPct: Math.round((cpu / wall) * 100),
    clientCpuPct: Math.round(((r.clientCpuSeconds ?? 0) / wall) * 100),
  };
  const { detail, ...row } = summary('floor_read', connections, {
    result: r,
    probe: { ...probe, loopDelayMs: {}, gc: {} },
  });
  await sleep(1000);
  return row;
}

async function main() {
  const home = await mkdtemp(path.join(os.tmpdir(), 'disco-load-'));
  // Rate limits at their ceiling: this measures the daemon, not its limiter's budget.
  const snapshots = await mkdtemp(path.join(os.tmpdir(), 'disco-load-snap-'));
  const { child, url } = await spawnDaemon(
    home,
    TOKEN,
    {
      DISCO_LOG_LEVEL: 'info',
      DISCO_RATE_LIMIT_PER_MINUTE: '1000000',
      // To compare allocator settings (glibc's arena count), e.g. MALLOC_ARENA_MAX=2 npm run bench:load:soak.
      ...(process.env.MALLOC_ARENA_MAX ? { MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX } : {}),
    },
    {
      bin: process.env.LOAD_BIN ? path.resolve(process.env.LOAD_BIN) : undefined,
      nodeFlags: [...NODE_FLAGS, ...(SNAPSHOT_AT.length ? [`--diagnostic-dir=${snapshots}`] : [])],
    },
  );
  const gc = gcTrace();
  child.stdout.on('data', (c) => gc.feed(String(c)));
  // LOAD_DAEMON_LOG=<file>: the daemon's whole stdout (its log, and --trace-gc lines) for a closer look.
  if (process.env.LOAD_DAEMON_LOG) child.stdout.pipe(createWriteStream(process.env.LOAD_DAEMON_LOG));
  const ctx = { url, headers: auth, pid: child.pid, gc };
  const mem = () => memory(url, auth, child.pid);
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
  const floor = SOAK ? undefined : await startFloor(home);
  try {
    const c = (await json(`${url}/api/v1/containers`, 'POST', { name: 'load' })).body;
    const content = `${'x'.repeat(4095)}\n`;
    await json(`${url}/api/v1/containers/${c.id}/files/content`, 'PUT', { path: 'four-k.txt', content });
    const mcpHeaders = await mcpSession(url);
    // Every call its own JSON-RPC id, as a client sends them (one id twice in flight is not a valid session).
    const toolCall = JSON.stringify({
      jsonrpc: '2.0',
      id: SEQ,
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
    // The soak also writes: a 4 KiB file rewritten in place (what an agent editing a file does).
    const write = {
      url: `${url}/api/v1/containers/${c.id}/files/content`,
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ path: 'soak-write.txt', content }),
    };

    // Warm up (JIT, pools, SQLite caches) before the baseline RSS.
    for (const s of Object.values(scenarios)) await run({ ...s, connections: 4, duration: 2 });
    // Both RSS readings are taken after the same quiet time, long enough for the daemon's idle heap trim.
    await sleep(SETTLE_SECONDS * 1000);
    const before = await mem();
    // LOAD_MALLOC_INFO=1: glibc's per-arena figures at before and after (through gdb); =trim also trims after.
    const MALLOC = process.env.LOAD_MALLOC_INFO;
    if (MALLOC) before.malloc = await mallocInfo(child.pid);
    const runs = [];
    const timeline = [];
    if (SOAK) {
      // One mixed run: every connection cycles through the five requests.
      const requests = [...Object.values(scenarios), write].map((s) => ({
        method: s.method ?? 'GET',
        path: new URL(s.url).pathname + new URL(s.url).search,
        headers: s.headers ?? {},
        ...(s.body ? { body: s.body } : {}),
      }));
      const started = performance.now();
      const sample = async () => {
        const t = Math.round((performance.now() - started) / 1000);
        const m = await mem().catch(() => undefined);
        if (m) timeline.push({ t, ...m });
        process.stderr.write(
          `soak ${t}s: rss ${m?.rss} MB, heap ${m?.heapUsed}/${m?.heapTotal} MB, ${JSON.stringify(m?.smaps)}, threads ${JSON.stringify(m?.threads)}\n`,
        );
      };
      const sampler = setInterval(sample, SAMPLE_SECONDS * 1000);
      const snaps = SNAPSHOT_AT.map((s) => setTimeout(() => child.kill('SIGUSR2'), s * 1000));
      const connections = Number(process.env.LOAD_SOAK_CONNECTIONS || 10);
      try {
        const r = await probed(ctx, () => run({ url, connections, duration: SOAK_SECONDS, requests }));
        runs.push(summary('mixed', connections, r));
      } finally {
        clearInterval(sampler);
        for (const t of snaps) clearTimeout(t);
      }
    } else {
      for (const [name, s] of Object.entries(scenarios).filter(([n]) => !ONLY || ONLY.includes(n))) {
        for (const connections of CONNECTIONS) {
          // The machine's own tail: the bare express floor under the same generator, just before each read run.
          if (name === 'file_read') runs.push(await floorRun(floor, connections));
          const r = await probed(ctx, () => run({ ...s, connections, duration: SECONDS }));
          runs.push(summary(name, connections, r));
          process.stderr.write(`${name} @${connections}: ${Math.round(r.result.requests.average)} req/s\n`);
          await sleep(1000);
        }
      }
    }
    const endOfLoad = await mem();
    await sleep(SETTLE_SECONDS * 1000); // let the daemon settle (sockets closed, idle heap trim) as before
    const after = await mem();
    if (MALLOC) {
      after.malloc = await mallocInfo(child.pid, { trim: MALLOC === 'trim' });
      console.log('malloc before', JSON.stringify(before.malloc), '\nmalloc after', JSON.stringify(after.malloc));
    }
    const rssBefore = before.rss;
    const rssAfter = after.rss;
    const rssChangePct = Math.round(((rssAfter - rssBefore) / rssBefore) * 1000) / 10;
    const ratioOf = (name, conns) => find(name, conns)[0]?.p99OverP50;
    const find = (name, conns) =>
      runs.filter((r) => r.name === name && (conns === undefined || r.connections === conns));
    const goals = SOAK
      ? { zeroErrors: runs.every((r) => r.errors === 0), rssWithin10Pct: rssChangePct <= 10 }
      : {
          healthAtLeast2000: find('health').every((r) => r.reqPerSec >= 2000),
          fileReadAtLeast500: find('file_read').every((r) => r.reqPerSec >= 500),
          p99Under50Ms: Object.fromEntries(runs.map((r) => [`${r.name}@${r.connections}`, r.p99Ms < 50])),
          // Issue 20: p99 <= 1.3 x p50 at 100 connections for reads and MCP calls; the floor's own ratio beside.
          p99Within1_3xP50At100: {
            file_read: ratioOf('file_read', 100) <= 1.3,
            mcp_tools_call: ratioOf('mcp_tools_call', 100) <= 1.3,
            floorRatio: ratioOf('floor_read', 100),
          },
          zeroErrors: runs.every((r) => r.errors === 0),
          rssWithin10Pct: rssChangePct <= 10,
        };
    const report = {
      machine: { cpus: os.cpus().length, node: process.version, platform: `${os.type()} ${os.release()}` },
      mode: SOAK ? 'soak' : 'load',
      generator: CLIENT === 'wrk' ? 'wrk 4.1 (-t1, separate process)' : 'autocannon (in the bench process)',
      daemonNodeFlags: NODE_FLAGS,
      secondsPerRun: SOAK ? SOAK_SECONDS : SECONDS,
      runs,
      rss: { beforeMb: rssBefore, afterMb: rssAfter, changePct: rssChangePct },
      heapUsed: { beforeMb: before.heapUsed, afterMb: after.heapUsed },
      memory: { before, endOfLoad, after, settleSeconds: SETTLE_SECONDS, ...(SOAK ? { timeline } : {}) },
      goals,
    };
    const dir = new URL('./results/', import.meta.url);
    await mkdir(dir, { recursive: true });
    const out = process.env.LOAD_OUT || (SOAK ? 'load-soak.json' : 'load.json');
    await writeFile(new URL(out, dir), `${JSON.stringify(report, null, 2)}\n`);
    console.table(runs.map(({ detail, ...r }) => r));
    console.table(memoryDelta(before, after));
    console.log('threads before', before.threads, 'after', after.threads);
    console.log(JSON.stringify({ rss: report.rss, heapUsed: report.heapUsed, goals }, null, 2));
  } finally {
    stopping = true;
    floor?.child.kill();
    await stopDaemon(child);
    await rm(home, { recursive: true, force: true });
    if (SNAPSHOT_AT.length) console.error(`heap snapshots kept in ${snapshots}`);
    else await rm(snapshots, { recursive: true, force: true });
  }
}

await main();

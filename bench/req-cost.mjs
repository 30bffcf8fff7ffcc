// Per-request cost (issue 20): one authenticated 4 KiB REST read against the bare express route that reads
// the same file, interleaved call by call in one loop so every server sees the same machine load; plus the
// CPU each server process spends per request (/proc/<pid>/stat), which is less sensitive to that load than
// latency. With BENCH_BASELINE=<checkout with a built dist/> (e.g. /work/main) that checkout's daemon is
// measured in the same loop too: old and new side by side (BENCH_BASELINE_NODE_OPTIONS: Node flags for the
// baseline only, to compare V8 settings on one build). Writes bench/results/req-cost.json.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { client, stopDaemon } from './lib/daemon.mjs';
import { summarize } from './lib/stats.mjs';

const N = Number(process.env.BENCH_N ?? 3000);
const TOKEN = `bench-${Date.now()}-token-padding`;
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const baseline = process.env.BENCH_BASELINE;

async function cpuMs(pid) {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * (1000 / 100);
}

function listen(child) {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stderr.on('data', (d) => {
      out += d;
      const m = /Disco listening on (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
  });
}

/** A daemon of the checkout at `root` with one 4 KiB file; returns its read call. */
async function daemon(root, home, nodeOptions) {
  const child = spawn(process.execPath, [path.join(root, 'bin/disco.js'), 'serve', '--port', '0', '--home', home], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DISCO_ADMIN_TOKEN: TOKEN,
      DISCO_LOG_LEVEL: 'warn',
      DISCO_RATE_LIMIT_PER_MINUTE: '1000000',
      ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const url = await listen(child);
  const call = client(url, TOKEN);
  const c = await call('POST', '/api/v1/containers', { name: 'reader' });
  await call('PUT', `/api/v1/containers/${c.id}/files/content`, {
    path: 'four-k.txt',
    content: `${'x'.repeat(4095)}\n`,
  });
  const p = `/api/v1/containers/${c.id}/files/content?path=four-k.txt`;
  return { child, call, read: () => call('GET', p), file: path.join(home, 'containers', c.id, 'four-k.txt') };
}

const homes = [];
const servers = {};
try {
  for (const [name, root] of [['disco', ROOT], ...(baseline ? [['baseline', baseline]] : [])]) {
    const home = await mkdtemp(path.join(os.tmpdir(), 'disco-bench-req-'));
    homes.push(home);
    servers[name] = await daemon(root, home, name === 'baseline' ? process.env.BENCH_BASELINE_NODE_OPTIONS : undefined);
  }
  const floorChild = spawn(
    process.execPath,
    [fileURLToPath(new URL('./lib/express-floor.mjs', import.meta.url)), servers.disco.file],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const floorCall = client(await listen(floorChild), TOKEN);
  servers.floor = { child: floorChild, call: floorCall, read: () => floorCall('GET', '/read') };

  const names = Object.keys(servers);
  for (let i = 0; i < 300; i++) for (const n of names) await servers[n].read();
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  const cpuBefore = Object.fromEntries(
    await Promise.all(names.map(async (n) => [n, await cpuMs(servers[n].child.pid)])),
  );
  for (let i = 0; i < N; i++) {
    // Rotate the order so no server always follows the same one.
    for (let j = 0; j < names.length; j++) {
      const n = names[(i + j) % names.length];
      const start = performance.now();
      await servers[n].read();
      samples[n].push(performance.now() - start);
    }
  }
  const results = {};
  for (const n of names) {
    const cpu = (await cpuMs(servers[n].child.pid)) - cpuBefore[n];
    results[n] = { ...summarize(samples[n]), serverCpuMsPerRequest: Math.round((cpu / N) * 1000) / 1000 };
  }
  const r2 = (x) => Math.round(x * 100) / 100;
  results.ratios = { discoVsFloorP50: r2(results.disco.p50 / results.floor.p50) };
  results.ratios.discoVsFloorCpu = r2(results.disco.serverCpuMsPerRequest / results.floor.serverCpuMsPerRequest);
  if (baseline) {
    results.ratios.baselineVsFloorP50 = r2(results.baseline.p50 / results.floor.p50);
    results.ratios.baselineVsFloorCpu = r2(
      results.baseline.serverCpuMsPerRequest / results.floor.serverCpuMsPerRequest,
    );
  }
  results.goal = { text: 'REST 4 KiB read p50 <= 1.5x the express floor', pass: results.ratios.discoVsFloorP50 <= 1.5 };
  await mkdir(new URL('./results/', import.meta.url), { recursive: true });
  const out = new URL('./results/req-cost.json', import.meta.url);
  const report = {
    benchmark: 'req-cost',
    at: new Date().toISOString(),
    node: process.version,
    n: N,
    baseline,
    results,
  };
  await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log('4 KiB read            p50(ms)  p95(ms)  server CPU ms/req');
  for (const n of names) {
    const r = results[n];
    console.log(`${n.padEnd(22)}${String(r.p50).padEnd(9)}${String(r.p95).padEnd(9)}${r.serverCpuMsPerRequest}`);
  }
  console.log(JSON.stringify(results.ratios));
  console.log(`goal p50 <= 1.5x floor: ${results.goal.pass}`);
} finally {
  for (const s of Object.values(servers)) {
    s.call.close();
    await stopDaemon(s.child);
  }
  for (const h of homes) await rm(h, { recursive: true, force: true });
}

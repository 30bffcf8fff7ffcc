// Live sandbox benchmark: `exec true` through REST into a container's running sandbox, beside the bare
// spawn of `true` from Node (the floor), at concurrency 1 and 10; and the sandbox start (first command of
// a stopped container). Writes bench/results/sandbox.json. Run with `npm run bench`.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { client, spawnDaemon, stopDaemon } from './lib/daemon.mjs';
import { measure, summarize } from './lib/stats.mjs';

const TOKEN = `bench-${Date.now()}-token-padding`;
const N1 = 300;
const N10 = 1000;
const STARTS = 20;
const results = {};

/** CPU of `pid` so far in clock ticks (10 ms): its own, and that of its children it has reaped. */
function cpuTicks(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { own: Number(f[11]) + Number(f[12]), reaped: Number(f[13]) + Number(f[14]) };
}

/** Host pid of the container's supervisor (node running supervisor.cjs with the container id). */
function supervisorPid(containerId) {
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (cmd.startsWith(process.execPath) && cmd.includes('supervisor.cjs') && cmd.includes(containerId)) return p;
    } catch {
      // exited
    }
  }
  return undefined;
}

const bareTrue = () =>
  new Promise((resolve, reject) => {
    const c = spawn('true', [], { stdio: 'ignore' });
    c.once('error', reject);
    c.once('exit', resolve);
  });

/** `total` calls of `fn` spread over `workers` concurrent loops: latency summary and calls per second. */
async function concurrent(workers, total, fnFor) {
  const samples = [];
  let left = total;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      const fn = fnFor(w);
      while (left-- > 0) {
        const t = performance.now();
        await fn();
        samples.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { ...summarize(samples), perSecond: Math.round(total / seconds) };
}

const home = await mkdtemp(path.join(os.tmpdir(), 'disco-bench-sandbox-'));
const { child, url } = await spawnDaemon(home, TOKEN, { DISCO_SANDBOX: 'bwrap' });
try {
  const call = client(url, TOKEN);
  const c = await call('POST', '/api/v1/containers', { name: 'bench' });
  const health = await fetch(`${url}/health`).then((r) => r.json());
  results.sandbox = health.checks.sandbox.mode;
  const execTrue = (cl) => () => cl('POST', '/api/v1/terminal/execute', { container: c.id, command: ['true'] });

  const c1 = await measure(N1, execTrue(call));
  results.execTrueC1Ms = { ...c1, target: '< 3 ms (p50)', pass: c1.p50 < 3 };
  results.bareSpawnTrueC1Ms = await measure(N1, bareTrue);

  const clients = Array.from({ length: 10 }, () => client(url, TOKEN));
  await concurrent(10, 100, (w) => execTrue(clients[w])); // warm-up
  // Where the CPU goes per exec (clock ticks of 10 ms over N10 execs): the daemon, the supervisor (its
  // fork of itself for each command included), and the commands it reaped (fork child + exec of `true`).
  const sup = supervisorPid(c.id);
  const before = { daemon: cpuTicks(child.pid), sup: sup && cpuTicks(sup), client: process.cpuUsage() };
  const c10 = await concurrent(10, N10, (w) => execTrue(clients[w]));
  results.execTrueC10 = { ...c10, target: '>= 800 exec/s', pass: c10.perSecond >= 800 };
  if (sup) {
    const perExec = (ticks) => Math.round(((ticks * 10) / N10) * 100) / 100;
    const after = { daemon: cpuTicks(child.pid), sup: cpuTicks(sup), client: process.cpuUsage(before.client) };
    results.execTrueC10CpuMsPerExec = {
      daemon: perExec(after.daemon.own - before.daemon.own),
      supervisor: perExec(after.sup.own - before.sup.own),
      commands: perExec(after.sup.reaped - before.sup.reaped),
      benchClient: Math.round(((after.client.user + after.client.system) / 1000 / N10) * 100) / 100,
    };
  }
  results.bareSpawnTrueC10 = await concurrent(10, N10, () => bareTrue);
  for (const cl of clients) cl.close();

  const starts = [];
  for (let i = 0; i < STARTS; i++) {
    await call('POST', `/api/v1/containers/${c.id}/stop`);
    const t = performance.now();
    await execTrue(call)();
    starts.push(performance.now() - t);
  }
  const s = summarize(starts);
  results.sandboxStartFirstExecMs = { ...s, target: '< 150 ms (p50)', pass: s.p50 < 150 };
  call.close();
} finally {
  await stopDaemon(child);
  await rm(home, { recursive: true, force: true });
}
results.machine = {
  cpus: os.cpus().length,
  node: process.version,
  loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100),
};
const out = new URL('./results/sandbox.json', import.meta.url);
await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
for (const [k, v] of Object.entries(results)) {
  if (v && typeof v === 'object' && 'p50' in v)
    console.log(`${k.padEnd(26)} p50 ${v.p50} ms  p95 ${v.p95} ms${v.perSecond ? `  ${v.perSecond}/s` : ''}`);
}
console.log(`wrote ${out.pathname}`);
process.exit(0);

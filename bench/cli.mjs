// CLI start-up benchmark (hyperfine-like): spawns `node bin/disco.js --version` and a client command
// (`disco containers ls` against a running daemon) beside a bare `node -e 0`, interleaved so machine noise
// hits all of them alike (BENCH_CLI_PEER adds another build's two commands). Writes bench/results/cli.json. Run with `npm run bench` (or `node bench/cli.mjs`).
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnDaemon, stopDaemon } from './lib/daemon.mjs';
import { summarize } from './lib/stats.mjs';

const BIN = fileURLToPath(new URL('../bin/disco.js', import.meta.url));
const N = Number(process.env.BENCH_CLI_RUNS || 30);
const WARMUP = 3;
const TOKEN = `bench-${Date.now()}-token-padding`;

/** Runs one process to completion; resolves to its wall time in ms (rejects on a non-zero exit). */
function timed(args, env) {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => {
      err += c;
    });
    child.once('exit', (code) =>
      code === 0 ? resolve(performance.now() - start) : reject(new Error(`${args.join(' ')}: exit ${code} ${err}`)),
    );
  });
}

const home = await mkdtemp(path.join(os.tmpdir(), 'disco-bench-cli-'));
const { child, url } = await spawnDaemon(home, TOKEN);
const results = {};
try {
  const env = { PATH: process.env.PATH, HOME: home, DISCO_HOME: home, DISCO_URL: url, DISCO_TOKEN: TOKEN };
  const cases = {
    nodeBareMs: ['-e', '0'],
    versionMs: [BIN, '--version'],
    containersLsMs: [BIN, 'containers', 'ls'],
    // BENCH_CLI_PEER=/path/to/other/bin/disco.js: the same two commands of another build (e.g. main), in
    // the same interleaved run, against the same daemon.
    ...(process.env.BENCH_CLI_PEER
      ? {
          peerVersionMs: [process.env.BENCH_CLI_PEER, '--version'],
          peerContainersLsMs: [process.env.BENCH_CLI_PEER, 'containers', 'ls'],
        }
      : {}),
  };
  const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let i = 0; i < WARMUP + N; i++) {
    for (const [name, args] of Object.entries(cases)) {
      const ms = await timed(args, env);
      if (i >= WARMUP) samples[name].push(ms);
    }
  }
  for (const [name, s] of Object.entries(samples)) results[name] = summarize(s);
  const bare = results.nodeBareMs.p50;
  const ratio = Math.round((results.versionMs.p50 / bare) * 100) / 100;
  results.versionVsBare = { ratio, target: '<= 2x node -e 0 (p50)', pass: ratio <= 2 };
  // What a client command costs beyond starting Node, request included (so the loading alone is less).
  const overhead = Math.round(results.containersLsMs.p50 - bare);
  results.clientOverheadMs = { p50: overhead, target: '<= 150 ms beyond node -e 0 (p50)', pass: overhead <= 150 };
} finally {
  await stopDaemon(child);
  await rm(home, { recursive: true, force: true });
}
results.machine = { cpus: os.cpus().length, node: process.version, runs: N };
const out = new URL('./results/cli.json', import.meta.url);
await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
for (const [k, v] of Object.entries(results)) {
  if (v && typeof v === 'object' && 'p50' in v) console.log(`${k.padEnd(18)} p50 ${v.p50} ms  p95 ${v.p95 ?? '-'} ms`);
}
console.log(`version/bare ${results.versionVsBare.ratio}x (${results.versionVsBare.pass ? 'pass' : 'FAIL'})`);
console.log(`wrote ${out.pathname}`);
process.exit(0);

// Terminal benchmark: keystroke echo round trip over Socket.IO, beside the same echo straight from a
// local node-pty (the floor). Writes bench/results/pty.json. Run with `npm run bench`.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pty from '@lydell/node-pty';
import { TerminalClient } from '../dist/cli/terminal-client.js';
import { client, spawnDaemon, stopDaemon } from './lib/daemon.mjs';
import { measure } from './lib/stats.mjs';

const TOKEN = `bench-${Date.now()}-token-padding`;
const N = 500;
const results = {};

/** Sends one printable key and resolves when the terminal echoes it back. */
function echoer(send, subscribe) {
  let waiting;
  subscribe((data) => {
    if (waiting && data.includes(waiting.key)) {
      const done = waiting.resolve;
      waiting = undefined;
      done();
    }
  });
  let i = 0;
  return () =>
    new Promise((resolve) => {
      const key = String.fromCharCode(97 + (i++ % 26));
      waiting = { key, resolve };
      send(key);
    });
}

async function overSocket(url, container, command, label) {
  const tc = await TerminalClient.connect(url, TOKEN, { reconnection: false });
  const { terminal } = await tc.open({ container, ...(command ? { command } : {}) });
  await new Promise((r) => setTimeout(r, 500)); // let the shell print its prompt
  const roundTrip = echoer(
    (key) => tc.socket.emit('input', { id: terminal.id, data: key }),
    (fn) => tc.on('output', (_id, data) => fn(data)),
  );
  const stats = await measure(N, roundTrip, 50);
  // Clear the typed line so the shell stays tidy, then close.
  await tc.close(terminal.id);
  tc.disconnect();
  results[label] = { ...stats, target: '< 5 ms (p50)', pass: stats.p50 < 5 };
}

async function localFloor() {
  const p = pty.spawn('cat', [], { cols: 80, rows: 24 });
  const roundTrip = echoer(
    (key) => p.write(key),
    (fn) => p.onData(fn),
  );
  results.localNodePtyCatEchoMs = await measure(N, roundTrip, 50);
  p.kill();
}

const home = await mkdtemp(path.join(os.tmpdir(), 'disco-bench-pty-'));
const { child, url } = await spawnDaemon(home, TOKEN);
try {
  const call = client(url, TOKEN);
  const c = await call('POST', '/api/v1/containers', { name: 'pty' });
  const health = await fetch(`${url}/health`).then((r) => r.json());
  results.sandbox = health.checks.sandbox.mode;
  await overSocket(url, c.id, ['cat'], 'socketIoCatEchoMs');
  await overSocket(url, c.id, undefined, 'socketIoBashEchoMs');
  await localFloor();
  call.close();
} finally {
  await stopDaemon(child);
  await rm(home, { recursive: true, force: true });
}
results.machine = { cpus: os.cpus().length, node: process.version };
const out = new URL('./results/pty.json', import.meta.url);
await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
for (const [k, v] of Object.entries(results)) {
  if (v && typeof v === 'object' && 'p50' in v) console.log(`${k.padEnd(26)} p50 ${v.p50} ms  p95 ${v.p95} ms`);
}
console.log(`wrote ${out.pathname}`);
process.exit(0);

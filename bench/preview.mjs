// Preview benchmark: a 4 KiB response through the preview proxy (/preview/<c>/<port>/, with the preview
// cookie) beside a direct connection to the same dev server, interleaved in the same run; then requests
// per second at 10 connections through the proxy. With DISCO_SANDBOX=bwrap the container is on the host's
// network (so the bench can reach it directly), and a second one in the default egress mode (its own
// network namespace, reached through its supervisor) is measured too (`ownNetns`). Writes
// bench/results/preview.json. Run with `npm run bench`.

import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { client, spawnDaemon, stopDaemon } from './lib/daemon.mjs';
import { measurePair } from './lib/stats.mjs';

const TOKEN = `bench-${Date.now()}-token-padding`;
const CONCURRENCY = 10;
const THROUGHPUT_MS = 3000;
const SERVER = `
const body = 'x'.repeat(4096);
require('http').createServer((q, r) => { r.setHeader('content-type', 'text/plain'); r.end(body); })
  .listen(Number(process.argv[1]), '127.0.0.1');
`;

// The floor: the plainest keep-alive Node reverse proxy (no auth, no checks) in its own process, so the
// machine's own cost of one more hop is known beside the preview proxy's.
const BARE_PROXY = `
const http = require('http');
const [up, port] = process.argv.slice(1).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
http.createServer((req, res) => {
  const u = http.request({ host: '127.0.0.1', port: up, path: req.url, method: req.method, headers: req.headers, agent }, (r) => {
    res.writeHead(r.statusCode, r.headers);
    r.pipe(res);
  });
  u.end();
}).listen(port, '127.0.0.1', () => console.log('ready'));
`;

async function freePort() {
  const s = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/** GET through a keep-alive agent; resolves when the whole body is read. */
function get(agent, port, urlPath, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, agent, headers }, (res) => {
      let n = 0;
      res.on('data', (c) => {
        n += c.length;
      });
      res.on('end', () =>
        res.statusCode === 200 && n === 4096 ? resolve() : reject(new Error(`got ${res.statusCode}, ${n} bytes`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

async function throughput(fn) {
  let done = 0;
  const end = performance.now() + THROUGHPUT_MS;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        await fn();
        done++;
      }
    }),
  );
  return Math.round(done / (THROUGHPUT_MS / 1000));
}

const home = await mkdtemp(path.join(os.tmpdir(), 'disco-bench-preview-'));
const sandboxMode = process.env.DISCO_SANDBOX ?? 'none';
// Under bubblewrap the container uses the host's network, so the bench can also reach the dev server directly.
const { child, url } = await spawnDaemon(home, TOKEN, { DISCO_SANDBOX: sandboxMode, DISCO_ALLOW_HOST_NETWORK: 'true' });
const results = {};
try {
  const call = client(url, TOKEN);
  const c = await call('POST', '/api/v1/containers', {
    name: 'web',
    ...(sandboxMode === 'none' ? {} : { network: 'host' }),
  });
  const port = await freePort();
  const daemonPort = Number(new URL(url).port);
  /** Starts SERVER on `port` in container `id`, opens a preview_open link and returns the cookie it sets. */
  const serveAndOpen = async (id) => {
    await call('POST', '/api/v1/terminal/execute', {
      container: id,
      command: ['node', '-e', SERVER, String(port)],
      background: true,
    });
    let link;
    for (let i = 0; i < 100 && !link; i++) {
      link = await call('POST', `/api/v1/containers/${id}/ports/${port}/preview`).catch(() => undefined);
      if (!link) await new Promise((r) => setTimeout(r, 100));
    }
    if (!link) throw new Error('the dev server never listened');
    const entry = new URL(link.url.replace(/^https?:\/\/[^/]+/, url));
    return new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: daemonPort, path: `${entry.pathname}${entry.search}` }, (res) => {
          res.resume();
          resolve(String(res.headers['set-cookie']).split(';')[0]);
        })
        .on('error', reject);
    });
  };
  const cookie = await serveAndOpen(c.id);
  const previewPath = `/preview/${c.id}/${port}/`;
  const headers = { cookie };
  const proxyAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const directAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const { a: proxied, b: direct } = await measurePair(
    3000,
    () => get(proxyAgent, daemonPort, previewPath, headers),
    () => get(directAgent, port, '/', {}),
    300,
  );
  const manyProxy = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const manyDirect = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  await throughput(() => get(manyProxy, daemonPort, previewPath, headers)); // warm-up: pooled connections
  const proxyRps = await throughput(() => get(manyProxy, daemonPort, previewPath, headers));
  const directRps = await throughput(() => get(manyDirect, port, '/', {}));
  const barePort = await freePort();
  const bare = spawn(process.execPath, ['-e', BARE_PROXY, String(port), String(barePort)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((r) => bare.stdout.once('data', r));
  const manyBare = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  await throughput(() => get(manyBare, barePort, '/', {})); // warm-up
  const bareRps = await throughput(() => get(manyBare, barePort, '/', {}));
  bare.kill();
  manyBare.destroy();
  const overhead = Math.round((proxied.p50 - direct.p50) * 1000) / 1000;
  if (sandboxMode !== 'none') {
    // The default mode: a container with its own network namespace (egress), reached through its
    // supervisor's dial. Nothing outside reaches its server, so the direct side is the identical server
    // of the host-network container above, measured alternately.
    const ns = await call('POST', '/api/v1/containers', { name: 'web-ns' });
    const nsHeaders = { cookie: await serveAndOpen(ns.id) };
    const nsPath = `/preview/${ns.id}/${port}/`;
    const nsAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const { a: nsProxied, b: nsDirect } = await measurePair(
      3000,
      () => get(nsAgent, daemonPort, nsPath, nsHeaders),
      () => get(directAgent, port, '/', {}),
      300,
    );
    const nsMany = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    await throughput(() => get(nsMany, daemonPort, nsPath, nsHeaders)); // warm-up
    const nsOverhead = Math.round((nsProxied.p50 - nsDirect.p50) * 1000) / 1000;
    results.ownNetns = {
      previewMs: nsProxied,
      directMs: nsDirect,
      p50OverheadMs: { value: nsOverhead, target: '< 1 ms', pass: nsOverhead < 1 },
      previewReqPerSec: {
        value: await throughput(() => get(nsMany, daemonPort, nsPath, nsHeaders)),
        target: '>= 2000 req/s',
      },
    };
    results.ownNetns.previewReqPerSec.pass = results.ownNetns.previewReqPerSec.value >= 2000;
    nsAgent.destroy();
    nsMany.destroy();
  }
  const health = await fetch(`${url}/health`).then((r) => r.json());
  results.sandbox = health.checks.sandbox.mode;
  results.response = '4 KiB, keep-alive';
  results.previewMs = proxied;
  results.directMs = direct;
  results.p50OverheadMs = { value: overhead, target: '< 1 ms (p50, proxied minus direct)', pass: overhead < 1 };
  results.previewReqPerSec = {
    value: proxyRps,
    concurrency: CONCURRENCY,
    target: '>= 2000 req/s',
    pass: proxyRps >= 2000,
  };
  results.directReqPerSec = { value: directRps, concurrency: CONCURRENCY };
  results.bareNodeProxyReqPerSec = {
    value: bareRps,
    concurrency: CONCURRENCY,
    note: 'floor: a plain Node keep-alive proxy',
  };
  results.loadAverage = os.loadavg().map((l) => Math.round(l * 10) / 10);
  for (const a of [proxyAgent, directAgent, manyProxy, manyDirect]) a.destroy();
  call.close();
} finally {
  await stopDaemon(child);
  await rm(home, { recursive: true, force: true, maxRetries: 5 });
}
results.machine = { cpus: os.cpus().length, node: process.version };
await writeFile(new URL('./results/preview.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
console.log(JSON.stringify(results, null, 2));

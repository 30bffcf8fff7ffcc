// Egress proxy benchmark: a 1 MiB download through the proxy (CONNECT tunnel, as HTTPS takes) vs a direct
// loopback connection to the same server, interleaved: once with a new connection per download (setup
// included: perConnectionRatio), once over connections kept open (the data path: throughputRatio). Each
// path a sandboxed command can take is measured too: viaSpawner (the default: the native spawner owns the
// in-sandbox proxy port and hands each connection to the proxy as it is) and viaSupervisor (without the
// spawner: the supervisor bridges each connection to the control socket). Writes bench/results/egress.json.
// The origin and the proxy each run in their own process (as the daemon does); the proxy is reached over a
// Unix socket, the way the in-sandbox bridge reaches it, and allows 127.0.0.1/32 (it refuses loopback
// otherwise). A peer for the relay figures, in the same run: bareRelay, a plain Node TCP relay in its own
// process (accept, dial the origin, `pipe` both ways; no CONNECT, no checks): what the obvious relay gets
// from this machine, where every byte crosses loopback twice and user space once more; and spliceRelay
// (bench/lib/splice-relay.c, compiled here with cc): the same in C with splice(2), no copy through user space:
// the floor of any relay on this machine.
import { execFileSync, fork, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { summarize } from './lib/stats.mjs';

const SIZE = 1024 * 1024;
const RUNS = Number(process.env.EGRESS_BENCH_RUNS ?? 300);

async function origin() {
  const body = Buffer.alloc(SIZE, 120);
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-length': SIZE, 'content-type': 'application/octet-stream' });
    res.end(body);
  });
  server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
}

async function proxy(socketPath, controlDir, dist, spawnerPort) {
  const { EgressProxy } = await import(`${dist}/daemon/egress/proxy.js`);
  const { ControlSocket } = await import(`${dist}/daemon/sandbox/control-socket.js`);
  const p = new EgressProxy({ allowCidrs: ['127.0.0.1/32'], ratePerSecond: 100_000 });
  const server = net.createServer((s) => p.handle('bench', s));
  // The daemon's side of a sandbox: its control socket, whose `E` connections go to the proxy.
  const control = await ControlSocket.open(
    controlDir,
    undefined,
    (conn) => p.handle('bench', conn),
    () => false,
  );
  // The in-sandbox half with the native spawner, as a sandbox starts it (outside bwrap here): the spawner
  // takes the egress port and hands each connection to this process as it is (no copy inside).
  const native = Number(spawnerPort)
    ? await spawnerSide(dist, Number(spawnerPort), (s) => p.handle('bench', s))
    : false;
  server.listen(socketPath, () => process.send?.({ ready: true, control: control.file, native }));
}

async function spawnerSide(dist, port, onEgress) {
  const binary = new URL('../dist/native/disco-spawner', `file://${dist}/`).pathname;
  if (!existsSync(binary)) return false;
  const { ContainerSandbox } = await import(`${dist}/daemon/sandbox/container-sandbox.js`);
  const { withSpawnerArgv } = await import(`${dist}/daemon/sandbox/native-spawner.js`);
  const file = `${dist}/daemon/sandbox/supervisor.cjs`;
  const config = JSON.stringify({ container: 'bench', socket: '/nonexistent', egressPort: port, egressLater: true });
  const argv = withSpawnerArgv('/bin/sh', binary, 0, port, [process.execPath, file, config]);
  const box = new ContainerSandbox('bench', '/', 'egress', argv, {}, (a) => a, true);
  box.on('egress', onEgress);
  await box.ready;
  return box.spawner.path === 'native';
}

function freePort() {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * The in-sandbox half without the native spawner (DISCO_SANDBOX_SPAWNER=node, or no compiler): the real
 * supervisor.cjs (outside bwrap here) with its egress listener on a free loopback port, bridging each
 * connection to the control socket.
 */
async function supervisor(controlFile) {
  const port = await freePort();
  const file = new URL('../dist/daemon/sandbox/supervisor.cjs', import.meta.url).pathname;
  const config = JSON.stringify({ container: 'bench', socket: controlFile, egressPort: port, modules: '/nonexistent' });
  const c = spawn(process.execPath, [file, config], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    c.stdout.once('data', resolve);
    c.once('exit', (code) => reject(new Error(`supervisor exited ${code}`)));
  });
  return { c, port };
}

/** Builds and starts bench/lib/splice-relay.c; undefined (with a warning) without a C compiler. */
async function spliceRelay(dir, originPort) {
  const binary = path.join(dir, 'splice-relay');
  try {
    const source = new URL('./lib/splice-relay.c', import.meta.url).pathname;
    execFileSync(process.env.CC || 'cc', ['-O2', '-pthread', '-o', binary, source], { stdio: 'inherit' });
  } catch {
    console.warn('no C compiler: the spliceRelay figures are left out');
    return undefined;
  }
  const c = spawn(binary, [String(originPort)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    c.stdout.once('data', (d) => resolve(Number(String(d).trim())));
    c.once('exit', (code) => reject(new Error(`splice-relay exited ${code}`)));
  });
  return { c, m: { port } };
}

/** The bare relay: each connection piped to the origin's port, nothing else. */
function relay(originPort) {
  const server = net.createServer((c) => {
    const up = net.connect(Number(originPort), '127.0.0.1');
    c.pipe(up).pipe(c);
    const drop = () => {
      c.destroy();
      up.destroy();
    };
    c.on('error', drop);
    up.on('error', drop);
  });
  server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
}

if (process.argv[2] === 'origin') await origin();
else if (process.argv[2] === 'relay') relay(process.argv[3]);
else if (process.argv[2] === 'proxy') await proxy(process.argv[3], process.argv[4], process.argv[5], process.argv[6]);
else await main();

function child(args) {
  const c = fork(new URL(import.meta.url).pathname, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    c.once('message', (m) => resolve({ c, m }));
    c.once('exit', (code) => reject(new Error(`${args[0]} exited ${code}`)));
  });
}

/** Sends `preamble` (CONNECT, when via the proxy) then a GET, and reads the response to its end. */
function download(connect, port, viaProxy) {
  return new Promise((resolve, reject) => {
    const s = connect();
    let got = 0;
    let stage = viaProxy ? 0 : 1;
    let pending = Buffer.alloc(0);
    const get = `GET /1m HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`;
    s.on('connect', () =>
      s.write(viaProxy ? `CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n` : get),
    );
    s.on('data', (d) => {
      if (stage === 0) {
        pending = Buffer.concat([pending, d]);
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!pending.subarray(0, 12).toString().includes('200')) return reject(new Error(pending.toString()));
        stage = 1;
        s.write(get);
        got += pending.length - end - 4;
        return;
      }
      got += d.length;
    });
    s.on('end', () => (got >= SIZE ? resolve(got) : reject(new Error(`short read: ${got}`))));
    s.on('error', reject);
  });
}

/** One connection (a tunnel when `viaProxy`) kept open; `get()` downloads /1m over it (keep-alive). */
async function keptOpen(connect, port, viaProxy) {
  const s = connect();
  await new Promise((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  // Counts bytes without copying them: only a response head is ever concatenated.
  let head = Buffer.alloc(0);
  let left = 0;
  let body = 0; // body bytes the response being read carries (0: the CONNECT answer)
  let done;
  s.on('data', (d) => {
    if (left > 0) {
      left -= d.length;
      if (left <= 0) done();
      return;
    }
    head = Buffer.concat([head, d]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    left = body - (head.length - end - 4);
    head = Buffer.alloc(0);
    if (left <= 0) done();
  });
  const next = (bytes) =>
    new Promise((resolve) => {
      body = bytes;
      left = 0;
      done = resolve;
    });
  if (viaProxy) {
    const established = next(0);
    s.write(`CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    await established;
  }
  return {
    async get() {
      const got = next(SIZE);
      s.write(`GET /1m HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
      await got;
    },
    close: () => s.destroy(),
  };
}

async function main() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'disco-egress-bench-'));
  const socketPath = path.join(dir, 'egress.sock');
  const o = await child(['origin']);
  const dist = new URL('../dist', import.meta.url).pathname;
  const spawnerPort = await freePort();
  const p = await child(['proxy', socketPath, path.join(dir, 'ctl'), dist, String(spawnerPort)]);
  if (!p.m.native) console.warn('no native spawner: the viaSpawner figures are left out');
  // EGRESS_BENCH_BASELINE=<another build's dist>: its proxy too, measured interleaved with this one.
  const baseDist = process.env.EGRESS_BENCH_BASELINE;
  const baseSocket = path.join(dir, 'egress-base.sock');
  const base = baseDist
    ? await child(['proxy', baseSocket, path.join(dir, 'ctl-base'), baseDist]).catch((err) => {
        o.c.kill();
        p.c.kill();
        throw err;
      })
    : undefined;
  const sup = await supervisor(p.m.control);
  const { port } = o.m;
  const bare = await child(['relay', String(port)]);
  const floor = await spliceRelay(dir, port);
  try {
    const direct = () => download(() => net.connect(port, '127.0.0.1'), port, false);
    const proxied = () => download(() => net.connect(socketPath), port, true);
    const bridged = () => download(() => net.connect(sup.port, '127.0.0.1'), port, true);
    const native = p.m.native;
    const handed = () => download(() => net.connect(spawnerPort, '127.0.0.1'), port, true);
    const baseline = () => download(() => net.connect(baseSocket), port, true);
    const relayed = () => download(() => net.connect(bare.m.port, '127.0.0.1'), port, false);
    const spliced = () => download(() => net.connect(floor.m.port, '127.0.0.1'), port, false);
    for (let i = 0; i < 30; i++) {
      await relayed();
      if (floor) await spliced();
      await direct();
      await proxied();
      await bridged();
      if (native) await handed();
    }
    const a = [];
    const b = [];
    const c = [];
    const d = [];
    const e = [];
    const f = [];
    const g = [];
    for (let i = 0; i < RUNS; i++) {
      let t0 = performance.now();
      await relayed();
      f.push(performance.now() - t0);
      if (floor) {
        t0 = performance.now();
        await spliced();
        g.push(performance.now() - t0);
      }
      if (base) {
        const t = performance.now();
        await baseline();
        d.push(performance.now() - t);
      }
      let t = performance.now();
      await proxied();
      a.push(performance.now() - t);
      t = performance.now();
      await direct();
      b.push(performance.now() - t);
      t = performance.now();
      await bridged();
      c.push(performance.now() - t);
      if (native) {
        t = performance.now();
        await handed();
        e.push(performance.now() - t);
      }
    }
    // The data path alone: one tunnel and one direct connection kept open, 1 MiB downloads over each.
    const tunnel = await keptOpen(() => net.connect(socketPath), port, true);
    const plain = await keptOpen(() => net.connect(port, '127.0.0.1'), port, false);
    const bridge = await keptOpen(() => net.connect(sup.port, '127.0.0.1'), port, true);
    const hand = native ? await keptOpen(() => net.connect(spawnerPort, '127.0.0.1'), port, true) : undefined;
    const piped = await keptOpen(() => net.connect(bare.m.port, '127.0.0.1'), port, false);
    const floored = floor ? await keptOpen(() => net.connect(floor.m.port, '127.0.0.1'), port, false) : undefined;
    const kf = [];
    const kg = [];
    const ka = [];
    const kb = [];
    const kc = [];
    const ke = [];
    for (let i = 0; i < 30; i++) {
      await tunnel.get();
      await plain.get();
      await bridge.get();
      await hand?.get();
      await piped.get();
      await floored?.get();
    }
    for (let i = 0; i < RUNS; i++) {
      let t0 = performance.now();
      await piped.get();
      kf.push(performance.now() - t0);
      if (floored) {
        t0 = performance.now();
        await floored.get();
        kg.push(performance.now() - t0);
      }
      let t = performance.now();
      await tunnel.get();
      ka.push(performance.now() - t);
      t = performance.now();
      await plain.get();
      kb.push(performance.now() - t);
      t = performance.now();
      await bridge.get();
      kc.push(performance.now() - t);
      if (hand) {
        t = performance.now();
        await hand.get();
        ke.push(performance.now() - t);
      }
    }
    tunnel.close();
    plain.close();
    bridge.close();
    hand?.close();
    piped.close();
    floored?.close();
    const total = (xs) => xs.reduce((s, x) => s + x, 0);
    const mibPerSec = (xs) => Math.round(((xs.length * SIZE) / (1024 * 1024) / (total(xs) / 1000)) * 10) / 10;
    const ratio = Math.round((total(b) / total(a)) * 1000) / 1000;
    const dataRatio = Math.round((total(kb) / total(ka)) * 1000) / 1000;
    const results = {
      runs: RUNS,
      bytes: SIZE,
      proxyMs: summarize(a),
      directMs: summarize(b),
      proxyMiBPerSec: mibPerSec(a),
      directMiBPerSec: mibPerSec(b),
      // Each download on a new connection: CONNECT, vetting and the extra dial included.
      perConnectionRatio: { value: ratio, target: '>= 0.8 (proxy / direct)', pass: ratio >= 0.8 },
      tunnelMs: summarize(ka),
      keptOpenDirectMs: summarize(kb),
      tunnelMiBPerSec: mibPerSec(ka),
      keptOpenDirectMiBPerSec: mibPerSec(kb),
      // Bytes per second once the tunnel is open (the data path alone).
      throughputRatio: { value: dataRatio, target: '>= 0.8 (proxy / direct)', pass: dataRatio >= 0.8 },
      // The whole path a sandboxed command takes: its loopback proxy port, the supervisor's bridge, the
      // control socket, the proxy (new connection per download, then one kept open).
      viaSupervisorMs: summarize(c),
      viaSupervisorMiBPerSec: mibPerSec(c),
      viaSupervisorPerConnectionRatio: Math.round((total(b) / total(c)) * 1000) / 1000,
      viaSupervisorTunnelMs: summarize(kc),
      viaSupervisorTunnelMiBPerSec: mibPerSec(kc),
      viaSupervisorThroughputRatio: Math.round((total(kb) / total(kc)) * 1000) / 1000,
      // The path a sandboxed command takes with the native spawner (the default): its loopback proxy port
      // is the spawner's, which hands each connection to the proxy as it is (no relay inside).
      ...(native
        ? {
            viaSpawnerMs: summarize(e),
            viaSpawnerMiBPerSec: mibPerSec(e),
            viaSpawnerPerConnectionRatio: {
              value: Math.round((total(b) / total(e)) * 1000) / 1000,
              target: '>= 0.8 (proxy / direct)',
              pass: total(b) / total(e) >= 0.8,
            },
            viaSpawnerTunnelMs: summarize(ke),
            viaSpawnerTunnelMiBPerSec: mibPerSec(ke),
            viaSpawnerThroughputRatio: {
              value: Math.round((total(kb) / total(ke)) * 1000) / 1000,
              target: '>= 0.8 (proxy / direct)',
              pass: total(kb) / total(ke) >= 0.8,
            },
          }
        : {}),
      // The relay floor (see the top of this file): a bare Node relay over a new connection, then kept open.
      bareRelayMs: summarize(f),
      bareRelayPerConnectionRatio: Math.round((total(b) / total(f)) * 1000) / 1000,
      bareRelayThroughputRatio: Math.round((total(kb) / total(kf)) * 1000) / 1000,
      ...(floor
        ? {
            spliceRelayMs: summarize(g),
            spliceRelayPerConnectionRatio: Math.round((total(b) / total(g)) * 1000) / 1000,
            spliceRelayThroughputRatio: Math.round((total(kb) / total(kg)) * 1000) / 1000,
          }
        : {}),
      ...(base
        ? {
            baselineBuild: baseDist,
            baselineProxyMiBPerSec: mibPerSec(d),
            baselinePerConnectionRatio: Math.round((total(b) / total(d)) * 1000) / 1000,
          }
        : {}),
      cpus: os.cpus().length,
      node: process.version,
      at: new Date().toISOString(),
    };
    const out = new URL('./results/egress.json', import.meta.url);
    await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
    console.log(JSON.stringify(results, null, 2));
  } finally {
    o.c.kill();
    p.c.kill();
    base?.c.kill();
    sup.c.kill();
    bare.c.kill();
    floor?.c.kill();
    await rm(dir, { recursive: true, force: true });
  }
}

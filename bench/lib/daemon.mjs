import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/disco.js', import.meta.url));

/**
 * Spawns `disco serve --port 0` as its own process; resolves when it logs its URL. `bin` picks another
 * build's bin/disco.js (old vs new side by side), `nodeFlags` go to node (e.g. --trace-gc).
 */
export function spawnDaemon(home, token, extraEnv = {}, { bin = BIN, nodeFlags = [] } = {}) {
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeFlags, bin, 'serve', '--port', '0', '--home', home], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DISCO_ADMIN_TOKEN: token,
      DISCO_LOG_LEVEL: 'warn',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk) => {
      out += chunk;
      const m = /Disco listening on (\S+)/.exec(out);
      if (m) {
        child.stderr.off('data', onData);
        resolve({ child, url: m[1], started });
      }
    };
    child.stderr.on('data', onData);
    // The first 64 KiB of the daemon's log (the start-up lines), for benches that read them.
    child.logHead = '';
    child.stdout.on('data', (d) => {
      if (child.logHead.length < 65536) child.logHead += d;
    });
    child.once('exit', (code) => reject(new Error(`daemon exited with ${code}: ${out}`)));
  });
}

export async function stopDaemon(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

export async function rssMb(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

/**
 * A lean keep-alive JSON client on node:http (what curl or a typed SDK would cost, without fetch's
 * extra layers), so the numbers measure the daemon rather than the client.
 */
export function client(url, token) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const base = new URL(url);
  const call = (method, path, body) =>
    new Promise((resolve, reject) => {
      const payload = body ? JSON.stringify(body) : undefined;
      const req = http.request(
        {
          agent,
          host: base.hostname,
          port: base.port,
          method,
          path,
          headers: {
            authorization: `Bearer ${token}`,
            ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c) => {
            text += c;
          });
          res.on('end', () => {
            const json = JSON.parse(text);
            if (res.statusCode >= 400) reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`));
            else resolve(json);
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  call.close = () => agent.destroy();
  return call;
}

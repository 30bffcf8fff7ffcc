import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import { hasCommand } from './system.js';

/**
 * An "outside" host the test makes for itself: a network namespace joined to this one by a veth pair,
 * with a public-looking address (11.x.33.44, in the US DoD block: never routed beyond the veth here) and
 * an HTTP server inside. The host side of the veth gets 11.x.33.1, an address of this host.
 */
export interface NetnsHost {
  /** The namespace side's address, where the server listens. */
  address: string;
  /** The host side's address (an address of this host: the proxy must refuse it). */
  hostSide: string;
  port: number;
  stop: () => Promise<void>;
}

/** Whether this process can create network namespaces and veth pairs (root + iproute2). */
export function canMakeNetns(): boolean {
  return process.getuid?.() === 0 && hasCommand('ip', ['-V']);
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
const quietly = (fn: () => unknown) => {
  try {
    fn();
  } catch {
    /* already gone */
  }
};

/** The server inside the namespace: `/bytes/N` sends N bytes, everything else says hello with its Host. */
const SERVER = `
const http = require('node:http');
const chunk = Buffer.alloc(65536, 120);
http.createServer((req, res) => {
  const m = /^\\/bytes\\/(\\d+)$/.exec(req.url);
  if (!m) return res.end('hello from the outside ' + req.headers.host + ' ' + req.url);
  let left = Number(m[1]);
  res.writeHead(200, { 'content-length': left });
  const pump = () => { while (left > 0) { const n = Math.min(left, chunk.length); left -= n; if (!res.write(chunk.subarray(0, n))) return res.once('drain', pump); } res.end(); };
  pump();
}).listen(8080, '0.0.0.0', () => console.log('ready'));
`;

/** Inside the namespace instead: every connection to 8080 is piped to `host:port` (a test server on this host). */
const FORWARDER = (host: string, port: number) => `
const net = require('node:net');
net.createServer((c) => {
  const u = net.connect(${port}, '${host}');
  c.pipe(u).pipe(c);
  c.on('error', () => u.destroy());
  u.on('error', () => c.destroy());
}).listen(8080, '0.0.0.0', () => console.log('ready'));
`;

/**
 * Starts the outside host. `forwardTo`: its port 8080 forwards to that port on the host side's address
 * (so a server of the test, listening on 0.0.0.0, looks like an outside host to a sandbox).
 */
export async function startNetnsHost(opts: { forwardTo?: number } = {}): Promise<NetnsHost> {
  const tag = `${process.pid % 100_000}`;
  const ns = `disco-eg-${tag}`;
  const hostIf = `dege${tag}h`;
  const nsIf = `dege${tag}n`;
  const subnet = `11.${20 + (process.pid % 200)}.33`;
  const address = `${subnet}.44`;
  let server: ChildProcess | undefined;
  const stop = async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server?.once('exit', r));
      server.kill('SIGKILL');
      await exited;
    }
    quietly(() => ip('netns', 'del', ns));
    quietly(() => ip('link', 'del', hostIf)); // gone with the namespace's end already, unless that failed
  };
  await stop(); // a previous run of this pid that died half-way
  try {
    ip('netns', 'add', ns);
    ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf);
    ip('link', 'set', nsIf, 'netns', ns);
    ip('addr', 'add', `${subnet}.1/24`, 'dev', hostIf);
    ip('link', 'set', hostIf, 'up');
    ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${address}/24`, 'dev', nsIf);
    ip('netns', 'exec', ns, 'ip', 'link', 'set', nsIf, 'up');
    ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
    const script = opts.forwardTo ? FORWARDER(`${subnet}.1`, opts.forwardTo) : SERVER;
    server = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('netns server did not start')), 10_000);
      server?.stdout?.once('data', () => {
        clearTimeout(timer);
        resolve();
      });
      server?.once('exit', (code) => reject(new Error(`netns server exited ${code}`)));
    });
    // Reachable from here directly (the veth is up): the proxy is what may or may not pass.
    await new Promise<void>((resolve, reject) => {
      const s = net.connect(8080, address, () => {
        s.destroy();
        resolve();
      });
      s.on('error', reject);
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, hostSide: `${subnet}.1`, port: 8080, stop };
}

import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/daemon/db/audit-repo.js';
import { EgressProxy, type EgressProxyOptions } from '../../src/daemon/egress/proxy.js';
import type { EgressRecord } from '../../src/daemon/egress/record.js';
import {
  connectVia,
  curl,
  eventually,
  getOverSocket,
  originServer,
  proxyListener,
  socksConnect,
} from '../helpers/egress.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

const HAS_CURL = requireSystem('curl', hasCommand('curl'));

/** A proxy on a loopback listener, with what it counted. */
async function startProxy(opts: EgressProxyOptions = {}, containerId = 'c-test') {
  const records: EgressRecord[] = [];
  const audits: AuditRecord[] = [];
  const proxy = new EgressProxy({
    ...opts,
    audit: (e) => audits.push(e),
    observer: { egressDone: (r) => records.push(r), egressThrottled: () => {} },
  });
  const listener = await proxyListener(proxy, containerId);
  return {
    proxy,
    port: listener.port,
    records,
    audits,
    close: async () => {
      proxy.close();
      await listener.close();
    },
  };
}

describe('egress proxy: refusals', () => {
  let origin: Awaited<ReturnType<typeof originServer>>;
  let p: Awaited<ReturnType<typeof startProxy>>;
  beforeAll(async () => {
    origin = await originServer();
    p = await startProxy();
  });
  afterAll(async () => {
    await p.close();
    await origin.close();
  });

  it('refuses a loopback listener, `localhost`, mapped and private addresses over CONNECT with 403 and a one-line reason', async () => {
    for (const authority of [
      `127.0.0.1:${origin.port}`,
      `localhost:${origin.port}`,
      `[::ffff:127.0.0.1]:${origin.port}`,
      `[::1]:${origin.port}`,
      '0.0.0.0:80',
      '10.1.2.3:80',
      '192.168.1.1:80',
      '172.16.0.1:443',
      '100.64.0.1:80',
      '169.254.169.254:80',
      '[fd00::1]:80',
      '[fe80::1]:80',
      '224.0.0.1:80',
      '255.255.255.255:80',
    ]) {
      const r = await connectVia(p.port, authority);
      expect(r.status, authority).toBe(403);
      expect(r.body.trim().split('\n'), authority).toHaveLength(1);
      expect(r.body).not.toMatch(/at .*\.ts|Error:/);
    }
    // Nothing reached the listener, and each refusal was counted with its reason.
    expect(p.records.filter((r) => r.outcome === 'refused').length).toBeGreaterThanOrEqual(14);
    expect(p.records.find((r) => r.host === 'localhost')?.code).toBe('non_public_address');
  });

  it('refuses every address of this host (the daemon listens there too)', async () => {
    const own = Object.values(os.networkInterfaces())
      .flat()
      .filter((a) => a && !a.internal && a.family === 'IPv4')
      .map((a) => a?.address as string);
    for (const address of own) {
      const r = await connectVia(p.port, `${address}:${origin.port}`);
      expect(r.status, address).toBe(403);
    }
  });

  it('refuses plain HTTP to loopback and private hosts with 403, and keeps the connection usable', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (const url of [
        `http://127.0.0.1:${origin.port}/`,
        `http://localhost:${origin.port}/`,
        'http://169.254.169.254/latest/meta-data/',
      ]) {
        const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = http.get(
            { host: '127.0.0.1', port: p.port, path: url, headers: { host: new URL(url).host }, agent },
            (res) => {
              let b = '';
              res.on('data', (d) => (b += d));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
            },
          );
          req.on('error', reject);
        });
        expect(status, url).toBe(403);
        expect(body).toMatch(/non-public address/);
      }
    } finally {
      agent.destroy();
    }
  });

  it('answers SOCKS5 refusals with reply 0x02, by domain, IPv4 and mapped IPv6', async () => {
    for (const [host, port] of [
      ['localhost', origin.port],
      ['127.0.0.1', origin.port],
      ['0:0:0:0:0:ffff:7f00:1', origin.port],
      ['169.254.169.254', 80],
      ['10.0.0.1', 80],
    ] as const) {
      const { reply, socket } = await socksConnect(p.port, host, port);
      expect(reply, host).toBe(0x02);
      socket.destroy();
    }
  });

  it.runIf(HAS_CURL)('curl through the proxy is refused for loopback (-x and --socks5-hostname)', async () => {
    const viaHttp = await curl([
      '-x',
      `http://127.0.0.1:${p.port}`,
      `http://localhost:${origin.port}/`,
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
    ]);
    expect(viaHttp.stdout).toBe('403');
    const viaConnect = await curl(['-p', '-x', `http://127.0.0.1:${p.port}`, `http://127.0.0.1:${origin.port}/`]);
    expect(viaConnect.code).not.toBe(0);
    expect(viaConnect.stderr).toMatch(/403/);
    const viaSocks = await curl(['--socks5-hostname', `127.0.0.1:${p.port}`, `http://localhost:${origin.port}/`]);
    expect(viaSocks.code).not.toBe(0);
  });

  it('does not let a name resolve twice: a name with one private address among public ones is refused', async () => {
    const q = await startProxy({
      resolve: async () => [
        { address: '93.184.216.34', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ],
    });
    try {
      const r = await connectVia(q.port, `rebind.example:${origin.port}`);
      expect(r.status).toBe(403);
      expect(r.body).toMatch(/127\.0\.0\.1/);
    } finally {
      await q.close();
    }
  });
});

describe('egress proxy: forwarding (loopback origin allowed through DISCO_EGRESS_ALLOW_CIDRS)', () => {
  let origin: Awaited<ReturnType<typeof originServer>>;
  let p: Awaited<ReturnType<typeof startProxy>>;
  beforeAll(async () => {
    origin = await originServer();
    p = await startProxy({ allowCidrs: ['127.0.0.1/32'] });
  });
  afterAll(async () => {
    await p.close();
    await origin.close();
  });

  it('tunnels CONNECT to exactly the vetted address and counts the bytes', async () => {
    const r = await connectVia(p.port, `127.0.0.1:${origin.port}`);
    expect(r.status).toBe(200);
    const text = await getOverSocket(r.socket as net.Socket, 'origin', '/bytes/100000');
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    await eventually(() => p.records.some((x) => x.protocol === 'connect' && x.outcome === 'ok'));
    const rec = p.records.find((x) => x.protocol === 'connect' && x.outcome === 'ok') as EgressRecord;
    expect(rec).toMatchObject({ host: '127.0.0.1', port: origin.port, address: '127.0.0.1', containerId: 'c-test' });
    expect(rec.bytesDown).toBeGreaterThan(100000);
    expect(rec.bytesUp).toBeGreaterThan(20);
    expect(p.audits.some((a) => a.action === 'egress.connect' && a.outcome === 'ok')).toBe(true);
  });

  it('delivers everything the origin sent before it closed (no tail cut off when the upstream ends)', async () => {
    // Over a Unix socket, as the sandbox bridge hands connections over: its small kernel buffer means the
    // proxy still holds the tail when the origin closes.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'disco-egress-'));
    const sockPath = path.join(dir, 'egress.sock');
    const unix = net.createServer((c) => p.proxy.handle('c-test', c));
    await new Promise<void>((done) => unix.listen(sockPath, done));
    const socket = net.connect(sockPath);
    socket.write(`CONNECT 127.0.0.1:${origin.port} HTTP/1.1\r\nHost: x\r\n\r\n`);
    socket.write('GET /bytes/8388608 HTTP/1.1\r\nHost: origin\r\nConnection: close\r\n\r\n');
    // A slow reader: the origin is done and gone long before the client has read the body.
    await new Promise((done) => setTimeout(done, 500));
    let received = 0;
    let tail = '';
    socket.on('data', (d: Buffer) => {
      received += d.length;
      tail = (tail + d.toString('latin1')).slice(-16);
    });
    await new Promise((done) => socket.on('close', done));
    unix.close();
    await rm(dir, { recursive: true, force: true });
    expect(received).toBeGreaterThan(8388608);
    expect(tail.endsWith('0\r\n\r\n')).toBe(true); // the chunked body's last chunk arrived
  });

  it('forwards plain HTTP with keep-alive, chunked bodies streamed both ways', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<net.Socket>();
    try {
      const body = Buffer.alloc(3 * 1024 * 1024, 7);
      for (let i = 0; i < 3; i++) {
        const got = await new Promise<{ status: number; length: number; method: string }>((resolve, reject) => {
          const req = http.request(
            { host: '127.0.0.1', port: p.port, method: 'POST', path: `http://127.0.0.1:${origin.port}/echo`, agent },
            (res) => {
              let length = 0;
              res.on('data', (d: Buffer) => (length += d.length));
              res.on('end', () =>
                resolve({ status: res.statusCode ?? 0, length, method: String(res.headers['x-method']) }),
              );
            },
          );
          req.on('socket', (s) => sockets.add(s));
          req.on('error', reject);
          // Written in pieces without a length: chunked transfer encoding to the proxy.
          for (let off = 0; off < body.length; off += 256 * 1024) req.write(body.subarray(off, off + 256 * 1024));
          req.end();
        });
        expect(got).toEqual({ status: 200, length: body.length, method: 'POST' });
      }
      expect(sockets.size).toBe(1); // the client's connection stayed open across requests
    } finally {
      agent.destroy();
    }
  });

  it('connects SOCKS5 by domain name (resolved by the proxy) and by address', async () => {
    const q = await startProxy({
      allowCidrs: ['127.0.0.1/32'],
      resolve: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    try {
      for (const host of ['origin.test', '127.0.0.1']) {
        const { reply, socket } = await socksConnect(q.port, host, origin.port);
        expect(reply).toBe(0x00);
        expect(await getOverSocket(socket, host, '/x')).toMatch(new RegExp(`hello from ${host} /x`));
      }
    } finally {
      await q.close();
    }
  });

  it.runIf(HAS_CURL)('works for curl with -x (plain and -p tunnel) and --socks5-hostname', async () => {
    const url = `http://127.0.0.1:${origin.port}/c`;
    for (const args of [
      ['-x', `http://127.0.0.1:${p.port}`],
      ['-p', '-x', `http://127.0.0.1:${p.port}`],
      ['--socks5-hostname', `127.0.0.1:${p.port}`],
    ]) {
      const r = await curl([...args, url]);
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.stdout).toBe(`hello from 127.0.0.1:${origin.port} /c`);
    }
  });

  it('answers 502 with a one-line reason when nothing listens', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const r = await connectVia(p.port, `127.0.0.1:${port}`);
    expect(r.status).toBe(502);
    expect(r.body).toMatch(/ECONNREFUSED/);
    const { reply, socket } = await socksConnect(p.port, '127.0.0.1', port);
    expect(reply).toBe(0x05);
    socket.destroy();
  });
});

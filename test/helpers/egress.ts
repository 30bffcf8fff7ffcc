import { execFile } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import type { EgressProxy } from '../../src/daemon/egress/proxy.js';

/** A TCP listener on loopback that hands every connection to the proxy, as the sandbox bridge does. */
export async function proxyListener(
  proxy: EgressProxy,
  containerId = 'c-test',
): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    proxy.handle(containerId, s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** An HTTP server on loopback: `/` says hello, `/echo` streams the body back, `/bytes/N` sends N bytes chunked. */
export async function originServer(
  host = '127.0.0.1',
): Promise<{ port: number; server: http.Server; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.url === '/echo') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-method': req.method ?? '' });
      req.pipe(res);
      return;
    }
    const m = /^\/bytes\/(\d+)$/.exec(req.url ?? '');
    if (m) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }); // no length: chunked
      let left = Number(m[1]);
      const chunk = Buffer.alloc(64 * 1024, 120);
      const pump = () => {
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!res.write(chunk.subarray(0, n))) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
      return;
    }
    res.end(`hello from ${req.headers.host} ${req.url}`);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, host, r));
  return {
    port: (server.address() as net.AddressInfo).port,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface CurlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function curl(args: string[]): Promise<CurlResult> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '--max-time', '10', '--noproxy', '', ...args], (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** CONNECT through the proxy with Node's client: the status line's code and the one-line body. */
export function connectVia(
  proxyPort: number,
  authority: string,
): Promise<{ status: number; body: string; socket?: net.Socket }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: proxyPort, method: 'CONNECT', path: authority, agent: false });
    req.on('connect', (res, socket, head: Buffer) => {
      if (res.statusCode === 200) {
        if (head.length > 0) socket.unshift(head);
        return resolve({ status: 200, body: '', socket });
      }
      let body = head.toString();
      socket.on('data', (d) => (body += d));
      socket.on('close', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A raw SOCKS5 CONNECT by domain name (atyp 3) or IPv4/IPv6 literal; resolves the reply code and the socket. */
export function socksConnect(
  proxyPort: number,
  host: string,
  port: number,
): Promise<{ reply: number; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(proxyPort, '127.0.0.1');
    let addr: Buffer;
    if (net.isIPv4(host)) addr = Buffer.from([0x01, ...host.split('.').map(Number)]);
    else if (net.isIPv6(host)) {
      const groups = host.split(':');
      if (groups.includes('') || groups.length !== 8) throw new Error('give the full IPv6 form');
      addr = Buffer.concat([Buffer.from([0x04]), Buffer.from(groups.map((g) => g.padStart(4, '0')).join(''), 'hex')]);
    } else addr = Buffer.concat([Buffer.from([0x03, host.length]), Buffer.from(host)]);
    const portBuf = Buffer.alloc(2);
    portBuf.writeUInt16BE(port);
    let buf = Buffer.alloc(0);
    let stage = 0;
    socket.on('error', reject);
    socket.on('data', function onData(d: Buffer) {
      buf = Buffer.concat([buf, d]);
      if (stage === 0 && buf.length >= 2) {
        if (buf[1] !== 0) return reject(new Error(`method refused ${buf[1]}`));
        buf = buf.subarray(2);
        stage = 1;
        socket.write(Buffer.concat([Buffer.from([0x05, 0x01, 0x00]), addr, portBuf]));
      }
      if (stage === 1 && buf.length >= 10) {
        socket.off('data', onData);
        const rest = buf.subarray(10);
        if (rest.length > 0) socket.unshift(rest);
        resolve({ reply: buf[1] as number, socket });
      }
    });
    socket.on('close', () => reject(new Error('closed before the SOCKS reply')));
    socket.write(Buffer.from([0x05, 0x01, 0x00]));
  });
}

/** Sends a GET over an established tunnel and reads the whole (Connection: close) response. */
export function getOverSocket(socket: net.Socket, host: string, urlPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    socket.setEncoding('utf8');
    socket.on('data', (d) => (out += d));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
    socket.write(`GET ${urlPath} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  });
}

/** Polls `cond` every 10 ms until it holds (counting happens once both sides of a connection closed). */
export async function eventually(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

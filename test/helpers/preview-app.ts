import http from 'node:http';

/**
 * A dev server for `node -e <script> <port>` inside a container: answers every request with what it got
 * (JSON), sets a few cookies on /cookies, and echoes WebSocket text frames as `echo:<text>` (the upgrade
 * handshake done by hand: the container has no packages).
 */
export const DEV_SERVER = `
const http = require('http'), crypto = require('crypto');
const port = Number(process.argv[1]);
const body4k = 'x'.repeat(4096);
const s = http.createServer((q, r) => {
  if (q.url.startsWith('/4k')) { r.setHeader('content-type', 'text/plain'); return r.end(body4k); }
  if (q.url.startsWith('/cookies')) r.setHeader('set-cookie', ['inside=1; Path=' + (q.headers['x-forwarded-prefix'] || '') + '/', 'noPath=1', 'outside=1; Path=/', 'dom=1; Domain=example.com', 'disco_preview=forged; Path=/']);
  if (q.url.startsWith('/redirect')) { r.writeHead(302, { location: '/login?next=1' }); return r.end(); }
  if (q.url.startsWith('/csp')) r.setHeader('content-security-policy', "default-src 'self'");
  if (q.url.startsWith('/clear')) r.setHeader('clear-site-data', '"*"');
  let data = '';
  q.on('data', (c) => { data += c; });
  q.on('end', () => { r.setHeader('content-type', 'application/json'); r.end(JSON.stringify({ port, url: q.url, method: q.method, headers: q.headers, body: data })); });
});
s.on('upgrade', (q, sock) => {
  const key = crypto.createHash('sha1').update(q.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  sock.write('HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: ' + key + '\\r\\n\\r\\n');
  sock.on('data', (d) => {
    if ((d[0] & 15) === 8) return sock.end();
    const len = d[1] & 127, mask = d.subarray(2, 6), p = Buffer.alloc(len);
    for (let i = 0; i < len; i++) p[i] = d[6 + i] ^ mask[i % 4];
    const out = Buffer.from('echo:' + p.toString());
    sock.write(Buffer.concat([Buffer.from([0x81, out.length]), out]));
  });
});
s.listen(port, '127.0.0.1', () => console.log('listening on ' + port));
`;

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request through node:http, which lets a test set Host and Cookie freely (fetch does not). */
export function raw(
  baseUrl: string,
  urlPath: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: urlPath, method: init.method ?? 'GET', headers: init.headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

/** The `name=value` of a Set-Cookie header. */
export const cookiePair = (setCookie: string | string[] | undefined) =>
  ([setCookie ?? []].flat()[0] ?? '').split(';')[0] ?? '';

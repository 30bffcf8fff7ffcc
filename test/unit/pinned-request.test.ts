import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchClientMetadataDocument } from '../../src/daemon/auth/oauth/cimd.js';
import { OAuthRequestError } from '../../src/daemon/auth/oauth/clients.js';
import { pinnedGet } from '../../src/daemon/auth/oauth/pinned-request.js';

let server: http.Server;
let port: number;
const seen: { host: string | undefined; remote: string | undefined }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push({ host: req.headers.host, remote: req.socket.remoteAddress });
    if (req.url === '/big') return res.end('x'.repeat(100_000));
    if (req.url === '/moved') {
      res.writeHead(302, { location: `http://127.0.0.1:${port}/doc` });
      return res.end();
    }
    const url = `http://${req.headers.host}${req.url}`;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ client_id: url, redirect_uris: ['http://127.0.0.1/cb'] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('pinnedGet', () => {
  it('connects to the vetted address and keeps the name in the Host header, without resolving it', async () => {
    seen.length = 0;
    const res = await pinnedGet(
      new URL(`http://docs.invalid:${port}/doc`),
      { address: '127.0.0.1', family: 4 },
      {
        timeoutMs: 2000,
        maxBytes: 1024,
      },
    );
    expect(res.status).toBe(200);
    expect(seen).toEqual([{ host: `docs.invalid:${port}`, remote: '127.0.0.1' }]);
  });

  it('stops reading past the byte cap', async () => {
    await expect(
      pinnedGet(
        new URL(`http://docs.invalid:${port}/big`),
        { address: '127.0.0.1', family: 4 },
        {
          timeoutMs: 2000,
          maxBytes: 1024,
        },
      ),
    ).rejects.toThrow(/over 1024 bytes/);
  });
});

describe('fetchClientMetadataDocument', () => {
  it('resolves the name once and fetches from that address, so a second answer cannot rebind it', async () => {
    seen.length = 0;
    let lookups = 0;
    const resolve = async () => {
      lookups++;
      return [{ address: lookups === 1 ? '127.0.0.1' : '10.0.0.1', family: 4 as const }];
    };
    const url = `http://rebind.invalid:${port}/doc`;
    const doc = await fetchClientMetadataDocument(url, { allowLoopback: true, resolve });
    expect(doc).toMatchObject({ client_id: url });
    expect(lookups).toBe(1);
    expect(seen).toEqual([{ host: `rebind.invalid:${port}`, remote: '127.0.0.1' }]);
  });

  it('refuses a name that resolves to an IPv4-mapped loopback address without connecting', async () => {
    seen.length = 0;
    const resolve = async () => [{ address: '::ffff:127.0.0.1', family: 6 as const }];
    await expect(
      fetchClientMetadataDocument(`https://mapped.invalid:${port}/doc`, { allowLoopback: false, resolve }),
    ).rejects.toBeInstanceOf(OAuthRequestError);
    expect(seen).toEqual([]);
  });

  it('follows no redirects and refuses oversized documents', async () => {
    await expect(
      fetchClientMetadataDocument(`http://127.0.0.1:${port}/moved`, { allowLoopback: true }),
    ).rejects.toThrow(/answered 302/);
    await expect(fetchClientMetadataDocument(`http://127.0.0.1:${port}/big`, { allowLoopback: true })).rejects.toThrow(
      /too large/,
    );
  });
});

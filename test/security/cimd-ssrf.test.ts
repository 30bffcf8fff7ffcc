import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

// A metadata-document client id is a URL the daemon fetches on the caller's behalf. This server on
// loopback stands in for an internal service: any connection to it is a successful SSRF.
let target: http.Server;
let port: number;
let connections = 0;
let t: TestDaemon;

beforeAll(async () => {
  target = http.createServer((req, res) => {
    const url = `https://${req.headers.host}${req.url}`;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ client_id: url, redirect_uris: ['http://127.0.0.1/cb'], client_name: 'internal' }));
  });
  target.on('connection', () => {
    connections++;
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  port = (target.address() as AddressInfo).port;
  // Bound to all interfaces: not a loopback-only dev instance, so loopback documents are not allowed.
  t = await startTestDaemon({ DISCO_HOST: '0.0.0.0' });
});
afterAll(async () => {
  await t.stop();
  await new Promise((resolve) => target.close(resolve));
});

const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
const authorize = (clientId: string) =>
  fetch(
    `${t.url}/oauth/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: 'http://127.0.0.1/cb',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    })}`,
    { redirect: 'manual' },
  );

describe('client metadata documents are never fetched from private addresses', () => {
  const hosts = [
    '[::ffff:127.0.0.1]',
    '[::ffff:7f00:1]',
    '[0:0:0:0:0:ffff:7f00:1]',
    '[::ffff:0:7f00:1]',
    '[::127.0.0.1]',
    '[64:ff9b::7f00:1]',
    '[2002:7f00:1::]',
    '[::1]',
    '[::]',
    '2130706433',
    '0x7f000001',
    '0177.0.0.1',
    '127.1',
    '0',
    '0.0.0.0',
    'localhost',
    'LOCALHOST.',
  ];
  for (const host of hosts) {
    it(`refuses https://${host}:PORT/ without contacting it`, async () => {
      const before = connections;
      const res = await authorize(`https://${host}:${port}/client.json`);
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(/client/i);
      expect(connections - before).toBe(0);
    });
  }

  it('refuses plain http even on a public-looking name, without contacting it', async () => {
    const before = connections;
    const res = await authorize(`http://127.0.0.1:${port}/client.json`);
    expect(res.status).toBe(400);
    expect(connections - before).toBe(0);
  });
});

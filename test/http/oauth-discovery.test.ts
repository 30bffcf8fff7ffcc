import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyAddress } from '../../src/daemon/net/address-policy.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
type Json = any;
const CHATGPT = 'https://chatgpt.com/connector_platform_oauth_redirect';

describe('Client ID Metadata Documents', () => {
  let t: TestDaemon;
  let docs: http.Server;
  let docUrl = '';
  let served = 0;
  beforeAll(async () => {
    t = await startTestDaemon();
    await t.json('POST', '/api/v1/users', { name: 'erin', password: 'metadata password' });
    docs = http.createServer((req, res) => {
      served++;
      const self = `http://127.0.0.1:${(docs.address() as AddressInfo).port}${req.url}`;
      const body =
        req.url === '/client.json'
          ? { client_id: self, client_name: 'Doc Client', redirect_uris: [CHATGPT], token_endpoint_auth_method: 'none' }
          : { client_id: 'https://somewhere.else/', redirect_uris: [CHATGPT] };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((r) => docs.listen(0, '127.0.0.1', r));
    docUrl = `http://127.0.0.1:${(docs.address() as AddressInfo).port}/client.json`;
  });
  afterAll(async () => {
    docs.close();
    await t.stop();
  });

  it('authorizes a client known only by the URL of its metadata document', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const q = new URLSearchParams({
      response_type: 'code',
      client_id: docUrl,
      redirect_uri: CHATGPT,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    });
    const page = await fetch(`${t.url}/oauth/authorize?${q}`);
    const html = await page.text();
    expect(page.status, html).toBe(200);
    expect(html).toContain('Allow Doc Client to use Disco?');
    expect(served).toBe(1);
    const request = /name="request" value="([^"]+)"/.exec(html)?.[1] as string;
    const approved = await fetch(`${t.url}/oauth/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        request,
        username: 'erin',
        password: 'metadata password',
        action: 'approve',
      }).toString(),
      redirect: 'manual',
    });
    const code = new URL(approved.headers.get('location') as string).searchParams.get('code') as string;
    const tokens = await fetch(`${t.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        client_id: docUrl,
      }).toString(),
    });
    expect(tokens.status).toBe(200);
    expect(served).toBe(1); // cached, not fetched again
  });

  it('refuses a document whose client_id is not its own URL', async () => {
    const other = docUrl.replace('client.json', 'liar.json');
    const q = new URLSearchParams({
      response_type: 'code',
      client_id: other,
      redirect_uri: CHATGPT,
      code_challenge: 'x'.repeat(43),
      code_challenge_method: 'S256',
    });
    const res = await fetch(`${t.url}/oauth/authorize?${q}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('client_id must equal its URL');
  });

  it('knows which addresses are not public', () => {
    for (const ip of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '::1',
      'fd00::1',
      '::ffff:10.0.0.1',
    ]) {
      expect(classifyAddress(ip), ip).not.toBe('public');
    }
    for (const ip of ['8.8.8.8', '140.82.112.3', '2606:4700::1111']) expect(classifyAddress(ip), ip).toBe('public');
  });
});

describe('public URL behind a proxy', () => {
  let t: TestDaemon;
  beforeAll(async () => {
    t = await startTestDaemon({ DISCO_TRUST_PROXY: 'true' });
  });
  afterAll(() => t.stop());

  it('names the forwarded https URL in metadata and challenges when the operator trusts the proxy', async () => {
    const headers = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'disco.example.com' };
    const meta = (await (await fetch(`${t.url}/.well-known/oauth-authorization-server`, { headers })).json()) as Json;
    expect(meta.issuer).toBe('https://disco.example.com');
    expect(meta.token_endpoint).toBe('https://disco.example.com/oauth/token');
    const denied = await fetch(`${t.url}/mcp`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(denied.headers.get('www-authenticate')).toContain(
      'resource_metadata="https://disco.example.com/.well-known/oauth-protected-resource/mcp"',
    );
  });

  it('ignores forwarded headers unless told to trust them', async () => {
    const plain = await startTestDaemon();
    try {
      const meta = (await (
        await fetch(`${plain.url}/.well-known/oauth-authorization-server`, {
          headers: { 'x-forwarded-host': 'evil.example' },
        })
      ).json()) as Json;
      expect(meta.issuer).toBe(plain.url);
    } finally {
      await plain.stop();
    }
  });
});

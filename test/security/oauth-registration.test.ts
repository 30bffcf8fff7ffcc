import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
type Json = any;

let t: TestDaemon;
beforeAll(async () => {
  t = await startTestDaemon();
});
afterAll(() => t.stop());

const register = async (body: unknown) => {
  const res = await fetch(`${t.url}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, body: JSON.parse(text) as Json };
};

describe('dynamic client registration is bounded (RFC 7591)', () => {
  it('answers 413 with an OAuth error body, not a 500 or a stack, to a body over 64 KiB', async () => {
    const r = await register({ redirect_uris: ['http://127.0.0.1/cb'], software_id: 'x'.repeat(70 * 1024) });
    expect(r.status).toBe(413);
    expect(r.type).toMatch(/application\/json/);
    expect(r.body).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/limit/) });
    expect(r.text).not.toMatch(/PayloadTooLarge|node_modules|\bat \S+ \(/);
  });

  it('refuses 1,000 redirect URIs', async () => {
    const uris = Array.from({ length: 1000 }, (_, i) => `http://127.0.0.1:${1024 + i}/cb`);
    const r = await register({ redirect_uris: uris, token_endpoint_auth_method: 'none' });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_client_metadata');
    expect(r.body.error_description).toMatch(/redirect_uris/);
  });

  it('refuses a 10 KB client_name', async () => {
    const r = await register({ client_name: 'n'.repeat(10_000), redirect_uris: ['http://127.0.0.1/cb'] });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_client_metadata');
    expect(r.body.error_description).toMatch(/client_name/);
  });

  it('refuses a redirect URI over 2 KiB and other oversized fields', async () => {
    const long = await register({ redirect_uris: [`http://127.0.0.1/cb?${'q'.repeat(3000)}`] });
    expect(long.status).toBe(400);
    expect(long.body.error).toBe('invalid_redirect_uri');
    const uri = await register({
      redirect_uris: ['http://127.0.0.1/cb'],
      client_uri: `https://x.example/${'p'.repeat(3000)}`,
    });
    expect(uri.body.error).toBe('invalid_client_metadata');
    const contacts = await register({
      redirect_uris: ['http://127.0.0.1/cb'],
      contacts: Array(50).fill('a@b.example'),
    });
    expect(contacts.body.error).toBe('invalid_client_metadata');
  });

  it('still registers an ordinary client', async () => {
    const r = await register({
      client_name: 'ChatGPT',
      redirect_uris: ['https://chatgpt.com/connector_platform_oauth_redirect', 'http://127.0.0.1/cb'],
      token_endpoint_auth_method: 'none',
    });
    expect(r.status).toBe(201);
    expect(r.body.client_id).toMatch(/^mcp_/);
  });
});

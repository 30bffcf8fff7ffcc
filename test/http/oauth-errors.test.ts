import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
type Json = any;
const CHATGPT = 'https://chatgpt.com/connector_platform_oauth_redirect';
const PASSWORD = 'oauth errors password';

describe('OAuth endpoints: every refusal is a typed OAuth error', () => {
  let t: TestDaemon;
  let confidential: Json;
  let open: Json;

  const post = async (path: string, body: Record<string, string>, headers: Record<string, string> = {}) => {
    const res = await fetch(`${t.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(body).toString(),
      redirect: 'manual',
    });
    const text = await res.text();
    let json: Json;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, body: json, headers: res.headers };
  };
  const register = async (meta: Json) =>
    fetch(`${t.url}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(meta),
    });
  const authorizeUrl = (params: Record<string, string>) => `${t.url}/oauth/authorize?${new URLSearchParams(params)}`;
  const challenge = () => {
    const verifier = randomBytes(32).toString('base64url');
    return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
  };

  /** A code for `client` through the consent page. */
  async function codeFor(clientId: string, extra: Record<string, string> = {}) {
    const p = challenge();
    const page = await (
      await fetch(
        authorizeUrl({
          response_type: 'code',
          client_id: clientId,
          redirect_uri: CHATGPT,
          code_challenge: p.challenge,
          code_challenge_method: 'S256',
          ...extra,
        }),
      )
    ).text();
    const request = /name="request" value="([^"]+)"/.exec(page)?.[1] as string;
    const back = await post('/oauth/authorize', { request, username: 'fay', password: PASSWORD, action: 'approve' });
    return {
      code: new URL(back.headers.get('location') as string).searchParams.get('code') as string,
      verifier: p.verifier,
    };
  }

  beforeAll(async () => {
    t = await startTestDaemon();
    await t.json('POST', '/api/v1/users', { name: 'fay', password: PASSWORD });
    confidential = await (
      await register({
        client_name: 'Conf',
        redirect_uris: [CHATGPT],
        token_endpoint_auth_method: 'client_secret_basic',
      })
    ).json();
    open = await (
      await register({ client_name: 'Open', redirect_uris: [CHATGPT], token_endpoint_auth_method: 'none' })
    ).json();
  });
  afterAll(() => t.stop());

  it('registration refuses bad metadata', async () => {
    const cases: Array<[Json, string]> = [
      [{ client_name: 'x' }, 'invalid_client_metadata'],
      [{ redirect_uris: [] }, 'invalid_redirect_uri'],
      [{ redirect_uris: [CHATGPT], token_endpoint_auth_method: 'private_key_jwt' }, 'invalid_client_metadata'],
      [{ redirect_uris: [CHATGPT], grant_types: ['client_credentials'] }, 'invalid_client_metadata'],
      [{ redirect_uris: ['https://chatgpt.com/cb#frag'] }, 'invalid_client_metadata'],
    ];
    for (const [meta, error] of cases) {
      const res = await register(meta);
      expect(res.status, JSON.stringify(meta)).toBe(400);
      const body = (await res.json()) as Json;
      expect([error, 'invalid_redirect_uri']).toContain(body.error);
    }
  });

  it('authorize shows a page for a bad client or redirect, and redirects every later error with state and iss', async () => {
    const page = async (params: Record<string, string>) => {
      const res = await fetch(authorizeUrl(params), { redirect: 'manual' });
      return { status: res.status, text: await res.text() };
    };
    expect((await page({})).text).toContain('client_id is missing');
    expect((await page({ client_id: 'mcp_nope' })).text).toContain('unknown client');
    const p = challenge();
    const base = {
      client_id: open.client_id,
      redirect_uri: CHATGPT,
      state: 's1',
      code_challenge: p.challenge,
      code_challenge_method: 'S256',
    };
    const redirected = async (params: Record<string, string>) => {
      const res = await fetch(authorizeUrl(params), { redirect: 'manual' });
      expect(res.status).toBe(302);
      const u = new URL(res.headers.get('location') as string);
      expect(u.searchParams.get('state')).toBe('s1');
      expect(u.searchParams.get('iss')).toBe(t.url);
      return u.searchParams.get('error');
    };
    expect(await redirected({ ...base, response_type: 'token' })).toBe('unsupported_response_type');
    expect(await redirected({ ...base, response_type: 'code', code_challenge_method: 'plain' })).toBe(
      'invalid_request',
    );
    // Unknown scopes are ignored; asking only for what this client did not register for is refused.
    expect(await redirected({ ...base, response_type: 'code', scope: 'admin account root' })).toBe('invalid_scope');
    expect(await redirected({ ...base, response_type: 'code', resource: 'https://elsewhere.example/mcp' })).toBe(
      'invalid_target',
    );
    // An answer to a request nobody made.
    const stale = await post('/oauth/authorize', {
      request: 'nope',
      username: 'fay',
      password: PASSWORD,
      action: 'approve',
    });
    expect(stale.status).toBe(400);
    expect(String(stale.body)).toContain('expired');
  });

  it('the token endpoint authenticates clients and refuses malformed grants', async () => {
    expect((await post('/oauth/token', { grant_type: 'authorization_code' })).body.error).toBe('invalid_client');
    const wrong = await post('/oauth/token', {
      grant_type: 'authorization_code',
      client_id: confidential.client_id,
      client_secret: 'nope',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('Basic');
    const basic = `Basic ${Buffer.from(`${confidential.client_id}:${confidential.client_secret}`).toString('base64')}`;
    expect(
      (await post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic })).body.error,
    ).toBe('unsupported_grant_type');
    expect(
      (await post('/oauth/token', { grant_type: 'authorization_code' }, { authorization: basic })).body.error,
    ).toBe('invalid_request');
    expect((await post('/oauth/token', { grant_type: 'refresh_token' }, { authorization: basic })).body.error).toBe(
      'invalid_request',
    );
    expect(
      (
        await post(
          '/oauth/token',
          { grant_type: 'refresh_token', refresh_token: 'disco_rt_nope' },
          { authorization: basic },
        )
      ).body.error,
    ).toBe('invalid_grant');

    // A code is bound to its client, redirect URI and resource.
    const a = await codeFor(confidential.client_id);
    expect(
      (
        await post('/oauth/token', {
          grant_type: 'authorization_code',
          code: a.code,
          code_verifier: a.verifier,
          client_id: open.client_id,
        })
      ).body.error,
    ).toBe('invalid_grant');
    const b = await codeFor(confidential.client_id);
    const badRedirect = await post(
      '/oauth/token',
      {
        grant_type: 'authorization_code',
        code: b.code,
        code_verifier: b.verifier,
        redirect_uri: 'http://127.0.0.1:9/cb',
      },
      { authorization: basic },
    );
    expect(badRedirect.body.error).toBe('invalid_grant');
    const c = await codeFor(confidential.client_id);
    const badResource = await post(
      '/oauth/token',
      { grant_type: 'authorization_code', code: c.code, code_verifier: c.verifier, resource: `${t.url}/api/v1` },
      { authorization: basic },
    );
    expect(badResource.body.error).toBe('invalid_target');

    // With HTTP Basic client authentication, the whole dance works; then a refresh with fewer scopes.
    const d = await codeFor(confidential.client_id, { scope: 'containers files:read' });
    const ok = await post(
      '/oauth/token',
      { grant_type: 'authorization_code', code: d.code, code_verifier: d.verifier },
      { authorization: basic },
    );
    expect(ok.status).toBe(200);
    expect(ok.body.scope).toBe('containers files:read');
    const narrower = await post(
      '/oauth/token',
      { grant_type: 'refresh_token', refresh_token: ok.body.refresh_token, scope: 'containers' },
      { authorization: basic },
    );
    expect(narrower.body.scope).toBe('containers');
    const otherResource = await post(
      '/oauth/token',
      {
        grant_type: 'refresh_token',
        refresh_token: narrower.body.refresh_token,
        resource: 'https://elsewhere.example',
      },
      { authorization: basic },
    );
    expect(otherResource.body.error).toBe('invalid_target');

    // Revocation (RFC 7009): the refresh token and its session end; an unknown token is fine; no token is not.
    expect((await post('/oauth/revoke', { token: narrower.body.refresh_token }, { authorization: basic })).status).toBe(
      200,
    );
    expect(
      (
        await post(
          '/oauth/token',
          { grant_type: 'refresh_token', refresh_token: narrower.body.refresh_token },
          { authorization: basic },
        )
      ).body.error,
    ).toBe('invalid_grant');
    expect((await post('/oauth/revoke', { token: 'whatever' }, { authorization: basic })).status).toBe(200);
    expect((await post('/oauth/revoke', {}, { authorization: basic })).body.error).toBe('invalid_request');
  });

  it('revokes an access token through the revocation endpoint', async () => {
    const e = await codeFor(open.client_id);
    const ok = await post('/oauth/token', {
      grant_type: 'authorization_code',
      code: e.code,
      code_verifier: e.verifier,
      client_id: open.client_id,
    });
    const call = () =>
      fetch(`${t.url}/mcp`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ok.body.access_token}`, 'content-type': 'application/json' },
        body: '{}',
      });
    expect((await call()).status).not.toBe(401);
    await post('/oauth/revoke', { token: ok.body.access_token, client_id: open.client_id });
    expect((await call()).status).toBe(401);
  });
});

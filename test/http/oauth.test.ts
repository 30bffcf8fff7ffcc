import { createHash, randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const CHATGPT = 'https://chatgpt.com/connector_platform_oauth_redirect';
const PASSWORD = 'correct horse battery';

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
type Json = any;

describe('OAuth 2.1 for MCP clients, as ChatGPT does it', () => {
  let t: TestDaemon;
  const form = (body: Record<string, string>, headers: Record<string, string> = {}) =>
    ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(body).toString(),
      redirect: 'manual',
    }) as RequestInit;

  beforeAll(async () => {
    t = await startTestDaemon();
    const created = await t.json('POST', '/api/v1/users', { name: 'alice', password: PASSWORD });
    expect(created.status).toBe(201);
  });
  afterAll(() => t.stop());

  /** Registers a client, walks the consent page, returns the code and the redirect it came back on. */
  async function authorize(clientId: string, opts: { scope?: string; resource?: string } = {}) {
    const { verifier, challenge } = pkce();
    const state = randomBytes(8).toString('hex');
    const q = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: CHATGPT,
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      resource: opts.resource ?? `${t.url}/mcp`,
      ...(opts.scope ? { scope: opts.scope } : {}),
    });
    const page = await fetch(`${t.url}/oauth/authorize?${q}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("form-action 'self' https://chatgpt.com");
    const html = await page.text();
    expect(html).toContain('Allow ChatGPT to use Disco?');
    const request = /name="request" value="([^"]+)"/.exec(html)?.[1] as string;
    const answer = await fetch(
      `${t.url}/oauth/authorize`,
      form({ request, username: 'alice', password: PASSWORD, action: 'approve' }, { origin: t.url }),
    );
    expect(answer.status).toBe(303);
    const back = new URL(answer.headers.get('location') as string);
    expect(`${back.origin}${back.pathname}`).toBe(CHATGPT);
    expect(back.searchParams.get('state')).toBe(state);
    expect(back.searchParams.get('iss')).toBe(t.url);
    return { code: back.searchParams.get('code') as string, verifier };
  }

  async function token(body: Record<string, string>) {
    const res = await fetch(`${t.url}/oauth/token`, form(body));
    return { status: res.status, body: (await res.json()) as Json, headers: res.headers };
  }

  it('discovers, registers, authorizes with PKCE, calls a tool and refreshes', async () => {
    // 1. An unauthenticated MCP request is refused with a pointer to the resource metadata.
    const denied = await fetch(`${t.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }),
    });
    expect(denied.status).toBe(401);
    const challenge = denied.headers.get('www-authenticate') as string;
    const prmUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1] as string;
    expect(prmUrl).toBe(`${t.url}/.well-known/oauth-protected-resource/mcp`);

    // 2. Protected resource metadata (RFC 9728): JSON, the exact resource URL, our authorization server.
    const prmRes = await fetch(prmUrl);
    expect(prmRes.headers.get('content-type')).toMatch(/application\/json/);
    const prm = (await prmRes.json()) as Json;
    expect(prm.resource).toBe(`${t.url}/mcp`);
    expect(prm.authorization_servers).toEqual([t.url]);

    // 3. Authorization server metadata (RFC 8414).
    const as = (await (await fetch(`${t.url}/.well-known/oauth-authorization-server`)).json()) as Json;
    expect(as.issuer).toBe(t.url);
    expect(as.code_challenge_methods_supported).toEqual(['S256']);
    expect(as.authorization_response_iss_parameter_supported).toBe(true);
    expect(as.client_id_metadata_document_supported).toBe(true);

    // 4. Dynamic client registration (RFC 7591), a confidential client like ChatGPT's.
    const reg = await fetch(as.registration_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://chatgpt.com' },
      body: JSON.stringify({
        client_name: 'ChatGPT',
        redirect_uris: [CHATGPT],
        token_endpoint_auth_method: 'client_secret_post',
      }),
    });
    expect(reg.status).toBe(201);
    const client = (await reg.json()) as Json;
    expect(client.client_secret).toEqual(expect.any(String));

    // 5. Authorize (sign in + consent), then exchange the code with the verifier.
    const { code, verifier } = await authorize(client.client_id);
    const creds = { client_id: client.client_id, client_secret: client.client_secret };
    const issued = await token({
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: CHATGPT,
      resource: `${t.url}/mcp`,
      ...creds,
    });
    expect(issued.status).toBe(200);
    expect(issued.headers.get('cache-control')).toBe('no-store');
    expect(issued.body).toMatchObject({ token_type: 'Bearer', scope: 'containers files:read files:write exec git' });

    // 6. Call a tool over /mcp with the real SDK client.
    const mcp = new Client({ name: 'chatgpt-standin', version: '1.0.0' });
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL(`${t.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${issued.body.access_token}` } },
      }),
    );
    const created = await mcp.callTool({ name: 'container_create', arguments: { name: 'from-chatgpt' } });
    expect(created.isError).toBeFalsy();
    expect((created.structuredContent as Json).owner).not.toBe('admin');
    const me = await mcp.callTool({ name: 'auth_me', arguments: {} });
    expect(me.structuredContent as Json).toMatchObject({
      user: { name: 'alice' },
      via: 'oauth',
      clientId: client.client_id,
    });
    // Scopes were limited to what was granted: no account management.
    const pat = await mcp.callTool({ name: 'token_create', arguments: { name: 'x' } });
    expect(pat.isError).toBe(true);
    await mcp.close();

    // The token's audience is the MCP endpoint: the REST API does not take it.
    const rest = await fetch(`${t.url}/api/v1/containers`, {
      headers: { authorization: `Bearer ${issued.body.access_token}` },
    });
    expect(rest.status).toBe(401);

    // 7. Refresh rotates; a retry of the same refresh at once gets the same pair (grace window); once the
    // client has moved on, the spent refresh token replayed revokes the family, access tokens included.
    const first = await token({ grant_type: 'refresh_token', refresh_token: issued.body.refresh_token, ...creds });
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).not.toBe(issued.body.refresh_token);
    const retry = await token({ grant_type: 'refresh_token', refresh_token: issued.body.refresh_token, ...creds });
    expect(retry.body).toEqual(first.body);
    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token, ...creds });
    expect(refreshed.status).toBe(200);
    const reused = await token({ grant_type: 'refresh_token', refresh_token: issued.body.refresh_token, ...creds });
    expect(reused.status).toBe(400);
    expect(reused.body.error).toBe('invalid_grant');
    const after = await fetch(`${t.url}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${refreshed.body.access_token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
      }),
    });
    expect(after.status).toBe(401);
  });

  it('refuses a replayed code, a wrong verifier, a missing PKCE challenge and a foreign redirect URI', async () => {
    const reg = (await (
      await fetch(`${t.url}/oauth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_name: 'ChatGPT', redirect_uris: [CHATGPT], token_endpoint_auth_method: 'none' }),
      })
    ).json()) as Json;
    expect(reg.client_secret).toBeUndefined();

    const first = await authorize(reg.client_id);
    const wrong = await token({
      grant_type: 'authorization_code',
      code: first.code,
      code_verifier: pkce().verifier,
      client_id: reg.client_id,
    });
    expect(wrong.body.error).toBe('invalid_grant');

    const second = await authorize(reg.client_id);
    const ok = await token({
      grant_type: 'authorization_code',
      code: second.code,
      code_verifier: second.verifier,
      client_id: reg.client_id,
    });
    expect(ok.status).toBe(200);
    const replay = await token({
      grant_type: 'authorization_code',
      code: second.code,
      code_verifier: second.verifier,
      client_id: reg.client_id,
    });
    expect(replay.body.error).toBe('invalid_grant');
    // The replay revoked what the code produced.
    const refresh = await token({
      grant_type: 'refresh_token',
      refresh_token: ok.body.refresh_token,
      client_id: reg.client_id,
    });
    expect(refresh.body.error).toBe('invalid_grant');

    const noPkce = await fetch(
      `${t.url}/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: reg.client_id, redirect_uri: CHATGPT, state: 's' })}`,
      { redirect: 'manual' },
    );
    expect(noPkce.status).toBe(302);
    const err = new URL(noPkce.headers.get('location') as string);
    expect(err.searchParams.get('error')).toBe('invalid_request');
    expect(err.searchParams.get('state')).toBe('s');

    const evil = await fetch(`${t.url}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['https://evil.example/cb'] }),
    });
    expect(evil.status).toBe(400);
    expect(((await evil.json()) as Json).error).toBe('invalid_redirect_uri');

    const unknownRedirect = await fetch(
      `${t.url}/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: reg.client_id, redirect_uri: 'https://evil.example/cb', code_challenge: pkce().challenge, code_challenge_method: 'S256' })}`,
      { redirect: 'manual' },
    );
    expect(unknownRedirect.status).toBe(400);
    expect(await unknownRedirect.text()).toContain('redirect_uri');
  });

  it('shows the page again on a wrong password and redirects access_denied on deny', async () => {
    const reg = (await (
      await fetch(`${t.url}/oauth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_name: 'Some <b>App</b>',
          redirect_uris: [CHATGPT],
          token_endpoint_auth_method: 'none',
        }),
      })
    ).json()) as Json;
    const { challenge } = pkce();
    const q = new URLSearchParams({
      response_type: 'code',
      client_id: reg.client_id,
      redirect_uri: CHATGPT,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'z',
    });
    const html = await (await fetch(`${t.url}/oauth/authorize?${q}`)).text();
    expect(html).toContain('Some &#60;b&#62;App&#60;/b&#62;');
    const request = /name="request" value="([^"]+)"/.exec(html)?.[1] as string;
    const bad = await fetch(
      `${t.url}/oauth/authorize`,
      form({ request, username: 'alice', password: 'nope-nope-nope', action: 'approve' }),
    );
    expect(bad.status).toBe(401);
    expect(await bad.text()).toContain('invalid user name or password');
    const deny = await fetch(`${t.url}/oauth/authorize`, form({ request, action: 'deny' }));
    expect(deny.status).toBe(303);
    const back = new URL(deny.headers.get('location') as string);
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('iss')).toBe(t.url);
  });
});

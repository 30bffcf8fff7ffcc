import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChatgptStandIn,
  ClientHost,
  CONNECTOR_REDIRECT,
  type Json,
  LEGACY_REDIRECT,
  OPENID_EXTRAS,
} from '../helpers/chatgpt.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const ADA = { name: 'ada', password: 'analytical engine 1843' };
const CONNECTOR_SCOPES = 'containers files:read files:write exec git';
const ADMIN_TOOLS = ['user_list', 'user_create', 'user_revoke_tokens', 'audit_list'];
const ACCOUNT_TOOLS = ['token_create', 'token_list', 'token_revoke', 'password_change'];

/** ChatGPT connecting as today's ChatGPT does, end to end, signed in as an admin. */
describe('ChatGPT connects with least privilege', () => {
  let t: TestDaemon;
  let gpt: ChatgptStandIn;
  let host: ClientHost;
  beforeAll(async () => {
    t = await startTestDaemon();
    gpt = new ChatgptStandIn(t);
    host = await new ClientHost().start();
    expect((await t.json('POST', '/api/v1/users', { ...ADA, isAdmin: true })).status).toBe(201);
  });
  afterAll(async () => {
    await host.stop();
    await t.stop();
  });

  const register = async (meta: Json) => {
    const res = await fetch(`${t.url}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(meta),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };

  /** Tools the token sees, over a real MCP session. */
  const toolsOf = async (accessToken: string) => {
    const mcp = new Client({ name: 'chatgpt', version: '1' });
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL(`${t.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${accessToken}` } },
      }),
    );
    const names = (await mcp.listTools()).tools.map((tool) => tool.name);
    const pat = await mcp.callTool({ name: 'token_create', arguments: { name: 'from-chatgpt' } });
    await mcp.close();
    return { names, patRefused: pat.isError === true };
  };

  it('discovers the connector scopes: the challenge names them, account and admin are not offered', async () => {
    expect(await gpt.challengeScope()).toBe(CONNECTOR_SCOPES);
    const prm = (await (await fetch(`${t.url}/.well-known/oauth-protected-resource/mcp`)).json()) as Json;
    expect(prm.scopes_supported).toEqual(CONNECTOR_SCOPES.split(' '));
    const as = (await (await fetch(`${t.url}/.well-known/oauth-authorization-server`)).json()) as Json;
    expect(as.scopes_supported).toContain('offline_access');
    expect(as.token_endpoint_auth_methods_supported).toContain('private_key_jwt');
  });

  it.each([
    ['per-connector', CONNECTOR_REDIRECT],
    ['older', LEGACY_REDIRECT],
  ])(
    'DCR client, %s redirect: an admin’s token has no admin/account scope and sees no admin tools',
    async (_n, redirect) => {
      const reg = await register({
        client_name: 'ChatGPT',
        redirect_uris: [CONNECTOR_REDIRECT, LEGACY_REDIRECT],
        token_endpoint_auth_method: 'client_secret_post',
      });
      expect(reg.status).toBe(201);
      // ChatGPT asks for what the challenge named plus OpenID scopes Disco does not know (and admin, greedily).
      const scope = `${await gpt.challengeScope()} ${OPENID_EXTRAS} admin account`;
      const done = await gpt.authorize(reg.body.client_id, redirect, scope, ADA);
      expect(done.back).toBe(redirect);
      expect(done.state).toBe(done.expectedState);
      expect(done.html).not.toContain('administer Disco');
      const tokens = await gpt.token({
        grant_type: 'authorization_code',
        code: done.code,
        code_verifier: done.verifier,
        redirect_uri: redirect,
        client_id: reg.body.client_id,
        client_secret: reg.body.client_secret,
      });
      expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
      expect(tokens.body.scope).toBe(CONNECTOR_SCOPES);
      const { names, patRefused } = await toolsOf(tokens.body.access_token);
      expect(names).toContain('exec');
      for (const tool of [...ADMIN_TOOLS, ...ACCOUNT_TOOLS]) expect(names).not.toContain(tool);
      expect(patRefused).toBe(true);
    },
  );

  it('refuses redirect URIs that only look like ChatGPT’s', async () => {
    for (const uri of [
      'http://chatgpt.com/connector/oauth/abc',
      'https://chatgpt.com.evil.example/connector/oauth/abc',
      'https://evil.example/connector/oauth/abc',
      'https://chatgpt.com:8443/connector/oauth/abc',
      'https://chatgpt.com/connector/oauth/',
      'https://chatgpt.com/connector/oauth/abc/def',
      'https://chatgpt.com/connector/oauth/abc?x=1',
      'https://chatgpt.com/connector/oauth/abc#x',
      'https://chatgpt.com/connector/oauth/..%2Fevil',
      'https://user@chatgpt.com/connector/oauth/abc',
      'https://CHATGPT.com/connector/oauth/abc',
    ]) {
      const reg = await register({ client_name: 'x', redirect_uris: [uri], token_endpoint_auth_method: 'none' });
      expect([uri, reg.status, reg.body.error]).toEqual([uri, 400, 'invalid_redirect_uri']);
    }
  });

  it('grants account and admin only to a client registered for them, after saying so on the consent page', async () => {
    const reg = await register({
      client_name: 'Ops Console',
      redirect_uris: [CONNECTOR_REDIRECT],
      token_endpoint_auth_method: 'none',
      scope: 'containers account admin',
    });
    const done = await gpt.authorize(reg.body.client_id, CONNECTOR_REDIRECT, 'containers account admin', ADA);
    expect(done.html).toContain('asks to <b>administer Disco</b>');
    expect(done.html).toContain('asks to <b>manage your account</b>');
    const tokens = await gpt.token({
      grant_type: 'authorization_code',
      code: done.code,
      code_verifier: done.verifier,
      client_id: reg.body.client_id,
    });
    expect(tokens.body.scope).toBe('containers account admin');
    const { names, patRefused } = await toolsOf(tokens.body.access_token);
    expect(names).toEqual(expect.arrayContaining(ADMIN_TOOLS));
    // Even so, an OAuth client's token never mints a personal access token, and is not shown the tool.
    expect(names).not.toContain('token_create');
    expect(patRefused).toBe(true);
    // Asking only for what it may not have is an error, not an empty grant.
    const plain = await register({
      client_name: 'P',
      redirect_uris: [CONNECTOR_REDIRECT],
      token_endpoint_auth_method: 'none',
    });
    const page = await gpt.consentPage(plain.body.client_id, CONNECTOR_REDIRECT, 'admin');
    expect(page.status).toBe(302);
    expect(new URL(page.location as string).searchParams.get('error')).toBe('invalid_scope');
  });

  it('CIMD public client on the per-connector redirect', async () => {
    const clientId = host.serveClient('/public.json', {
      client_name: 'ChatGPT',
      redirect_uris: [CONNECTOR_REDIRECT],
      token_endpoint_auth_method: 'none',
    });
    const done = await gpt.authorize(clientId, CONNECTOR_REDIRECT, `${CONNECTOR_SCOPES} ${OPENID_EXTRAS}`, ADA);
    const tokens = await gpt.token({
      grant_type: 'authorization_code',
      code: done.code,
      code_verifier: done.verifier,
      client_id: clientId,
    });
    expect(tokens.status).toBe(200);
    expect(tokens.body.scope).toBe(CONNECTOR_SCOPES);
  });

  it('CIMD private_key_jwt client: the assertion is verified against its JWKS, once', async () => {
    const clientId = host.serveClient('/pkjwt.json', {
      client_name: 'ChatGPT',
      redirect_uris: [CONNECTOR_REDIRECT, LEGACY_REDIRECT],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: host.url('/jwks.json'),
    });
    const endpoint = `${t.url}/oauth/token`;
    const TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
    const done = await gpt.authorize(clientId, LEGACY_REDIRECT, CONNECTOR_SCOPES, ADA);
    const code = { grant_type: 'authorization_code', code: done.code, code_verifier: done.verifier };

    // No assertion, a wrong type, a forged signature, the wrong audience, a far expiry: all refused.
    const { privateKey: stranger } = await generateKeyPair('ES256');
    const refusals: Record<string, string>[] = [
      { client_id: clientId },
      { client_id: clientId, client_assertion_type: 'x', client_assertion: await host.assertion(clientId, endpoint) },
      { client_assertion_type: TYPE, client_assertion: await host.assertion(clientId, endpoint, { key: stranger }) },
      { client_assertion_type: TYPE, client_assertion: await host.assertion(clientId, 'https://elsewhere/token') },
      { client_assertion_type: TYPE, client_assertion: await host.assertion(clientId, endpoint, { expiresIn: '1h' }) },
      { client_id: clientId, client_secret: 'guess' },
    ];
    for (const creds of refusals) {
      const res = await gpt.token({ ...code, ...creds });
      expect([res.status, res.body.error], JSON.stringify(creds)).toEqual([401, 'invalid_client']);
    }
    // The right one (client_id may be left out: the assertion's sub names the client).
    const assertion = await host.assertion(clientId, endpoint);
    const tokens = await gpt.token({ ...code, client_assertion_type: TYPE, client_assertion: assertion });
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    expect(host.hits.get('/jwks.json')).toBeGreaterThanOrEqual(1);

    // The same assertion again (a replayed jti) is refused; a fresh one refreshes.
    const refresh = { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token, client_id: clientId };
    const replay = await gpt.token({ ...refresh, client_assertion_type: TYPE, client_assertion: assertion });
    expect([replay.status, replay.body.error_description]).toEqual([401, expect.stringContaining('already used')]);
    const fresh = await host.assertion(clientId, t.url); // the issuer is an accepted audience too
    const refreshed = await gpt.token({ ...refresh, client_assertion_type: TYPE, client_assertion: fresh });
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
  });

  it('fetches a jwks_uri under the metadata fetch rules: never from a private address', async () => {
    for (const [i, jwksUri] of [
      'http://169.254.169.254/latest/meta-data/jwks.json',
      'https://10.0.0.7/jwks.json',
      'https://[::ffff:169.254.169.254]/jwks.json',
      'https://[fd00::1]/jwks.json',
    ].entries()) {
      const clientId = host.serveClient(`/ssrf-${i}.json`, {
        client_name: 'ChatGPT',
        redirect_uris: [CONNECTOR_REDIRECT],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks_uri: jwksUri,
      });
      const done = await gpt.authorize(clientId, CONNECTOR_REDIRECT, CONNECTOR_SCOPES, ADA);
      const res = await gpt.token({
        grant_type: 'authorization_code',
        code: done.code,
        code_verifier: done.verifier,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await host.assertion(clientId, `${t.url}/oauth/token`),
      });
      expect([jwksUri, res.status, res.body.error_description]).toEqual([
        jwksUri,
        401,
        expect.stringContaining('host refused'),
      ]);
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatgptStandIn, CONNECTOR_REDIRECT, type Json } from '../helpers/chatgpt.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const BOB = { name: 'bob', password: 'refresh me twice please' };
const GRACE_S = 2;

/** Staying connected: ChatGPT's retried refreshes, replays after the grace window, replayed codes. */
describe('ChatGPT stays connected', () => {
  let t: TestDaemon;
  let gpt: ChatgptStandIn;
  let clientId = '';
  beforeAll(async () => {
    t = await startTestDaemon({ DISCO_REFRESH_GRACE_SECONDS: String(GRACE_S) });
    gpt = new ChatgptStandIn(t);
    expect((await t.json('POST', '/api/v1/users', BOB)).status).toBe(201);
    const reg = await fetch(`${t.url}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'ChatGPT',
        redirect_uris: [CONNECTOR_REDIRECT],
        token_endpoint_auth_method: 'none',
      }),
    });
    clientId = ((await reg.json()) as Json).client_id;
  });
  afterAll(() => t.stop());

  const connect = async () => {
    const done = await gpt.authorize(clientId, CONNECTOR_REDIRECT, 'containers exec offline_access', BOB);
    const tokens = await gpt.token({
      grant_type: 'authorization_code',
      code: done.code,
      code_verifier: done.verifier,
      client_id: clientId,
    });
    expect(tokens.status).toBe(200);
    return { ...tokens.body, code: done.code, verifier: done.verifier } as Json;
  };
  const refresh = (refreshToken: string) =>
    gpt.token({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId });
  const works = async (accessToken: string) => (await gpt.rpc(accessToken, 'tools/list')).status === 200;

  it('two refreshes of the same token at the same moment both get the same new pair; the session lives', async () => {
    const first = await connect();
    const [a, b] = await Promise.all([refresh(first.refresh_token), refresh(first.refresh_token)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.body).toEqual(b.body);
    expect(await works(a.body.access_token)).toBe(true);
    // The session goes on: the new refresh token rotates as usual (a scope of unknown names changes nothing).
    const next = await gpt.token({
      grant_type: 'refresh_token',
      refresh_token: a.body.refresh_token,
      client_id: clientId,
      scope: 'offline_access openid',
    });
    expect(next.body.scope).toBe('containers exec');
    expect(next.status).toBe(200);
    expect(await works(next.body.access_token)).toBe(true);
    // Once the client has moved on, the first token again is a reuse: the session is revoked.
    const stolen = await refresh(first.refresh_token);
    expect(stolen.body.error).toBe('invalid_grant');
    expect(await works(next.body.access_token)).toBe(false);
  });

  it('a repeat after the grace window revokes the session', async () => {
    const first = await connect();
    const rotated = await refresh(first.refresh_token);
    expect(rotated.status).toBe(200);
    await new Promise((r) => setTimeout(r, GRACE_S * 1000 + 300));
    const late = await refresh(first.refresh_token);
    expect(late.body.error).toBe('invalid_grant');
    expect(await works(rotated.body.access_token)).toBe(false);
    expect((await refresh(rotated.body.refresh_token)).body.error).toBe('invalid_grant');
  });

  it('an authorization code stays single-use: a replay, even at once, revokes what it produced', async () => {
    const first = await connect();
    const replay = await gpt.token({
      grant_type: 'authorization_code',
      code: first.code,
      code_verifier: first.verifier,
      client_id: clientId,
    });
    expect(replay.body.error).toBe('invalid_grant');
    expect(await works(first.access_token)).toBe(false);
    expect((await refresh(first.refresh_token)).body.error).toBe('invalid_grant');
  });

  it('answers sessionless requests, and negotiates the newest protocol version it supports', async () => {
    const { access_token: token } = await connect();
    // No initialize, no session id: served statelessly.
    const list = await gpt.rpc(token, 'tools/list', {}, { 'mcp-protocol-version': '2025-11-25' });
    expect(list.status).toBe(200);
    expect(list.body.result.tools.map((x: Json) => x.name)).toContain('exec');
    const init = (version: string) =>
      gpt.rpc(token, 'initialize', {
        protocolVersion: version,
        capabilities: {},
        clientInfo: { name: 'c', version: '1' },
      });
    for (const version of ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05']) {
      expect((await init(version)).body.result.protocolVersion).toBe(version);
    }
    // Newer than the SDK knows: answered with the newest it supports (the client then decides).
    expect((await init('2026-07-28')).body.result.protocolVersion).toBe('2025-11-25');
  });
});

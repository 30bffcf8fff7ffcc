import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISCO_BIN } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { childEnv } from '../helpers/env.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
type Json = any;

/**
 * The daemon remembers verified tokens (PrincipalCache). Each test warms that memory with a token, ends the
 * token the way an operator would, and then presents it again: it must be refused at once, as without a cache.
 */
describe('a remembered token stops working the moment it is revoked', () => {
  let t: TestDaemon;
  const status = async (token: string) =>
    (await fetch(`${t.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status;
  const warm = async (token: string) => {
    for (let i = 0; i < 3; i++) expect(await status(token)).toBe(200);
  };
  const login = async (username: string, password: string): Promise<Json> =>
    (await fetch(`${t.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    }).then((r) => r.json())) as Json;
  const newPat = async (name: string): Promise<Json> => {
    const created = await t.json('POST', '/api/v1/tokens', { name, scopes: ['account'] });
    expect(created.status).toBe(201);
    return created.body;
  };

  beforeAll(async () => {
    t = await startTestDaemon();
    expect((await t.json('POST', '/api/v1/users', { name: 'cara', password: 'cache password one' })).status).toBe(201);
  });
  afterAll(() => t?.stop());

  it('a PAT revoked through the API', async () => {
    const pat = await newPat('revoked-here');
    await warm(pat.token);
    expect((await t.json('DELETE', `/api/v1/tokens/${pat.id}`)).status).toBe(200);
    expect(await status(pat.token)).toBe(401);
  });

  it('a PAT revoked between the commands it runs (their own audit and history rows move no cache version)', async () => {
    const created = await t.json('POST', '/api/v1/tokens', { name: 'runs-commands', scopes: ['containers', 'exec'] });
    const pat = created.body as Json;
    const as = (method: string, path: string, body?: unknown) =>
      fetch(`${t.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${pat.token}`, 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    const c = (await (await as('POST', '/api/v1/containers', { name: 'cache-exec' })).json()) as Json;
    const run = () => as('POST', '/api/v1/terminal/execute', { container: c.id, command: ['true'] });
    for (let i = 0; i < 3; i++) expect((await run()).status).toBe(200);
    expect((await t.json('DELETE', `/api/v1/tokens/${pat.id}`)).status).toBe(200);
    expect((await run()).status).toBe(401);
    expect((await as('GET', '/api/v1/containers')).status).toBe(401);
  });

  it('an access token whose session logged out, and one whose user changed password elsewhere', async () => {
    const first = await login('cara', 'cache password one');
    const second = await login('cara', 'cache password one');
    await warm(first.accessToken);
    await warm(second.accessToken);
    const out = await fetch(`${t.url}/api/v1/auth/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${first.accessToken}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(out.status).toBeLessThan(300);
    expect(await status(first.accessToken)).toBe(401);
    const third = await login('cara', 'cache password one');
    const changed = await fetch(`${t.url}/api/v1/auth/password`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${third.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ currentPassword: 'cache password one', newPassword: 'cache password two' }),
    });
    expect(changed.status).toBe(200);
    expect(await status(second.accessToken)).toBe(401);
    expect(await status(third.accessToken)).toBe(200);
  });

  it('every token of a user, revoked by an admin', async () => {
    const session = await login('cara', 'cache password two');
    await warm(session.accessToken);
    expect((await t.json('POST', `/api/v1/users/${session.user.id}/revoke-tokens`)).status).toBeLessThan(300);
    expect(await status(session.accessToken)).toBe(401);
  });

  it('a PAT revoked by another process on the same home (`disco mcp` over stdio)', async () => {
    const pat = await newPat('revoked-elsewhere');
    await warm(pat.token);
    // Beside a daemon it finds, `disco mcp` relays to it; without its run record it opens the home itself,
    // as `disco mcp` started before the daemon does: another process writing to the same database.
    await rm(path.join(t.home, 'run'), { recursive: true, force: true });
    const client = new Client({ name: 'token-cache-test', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [DISCO_BIN, 'mcp'],
        env: childEnv({ DISCO_HOME: t.home }),
        stderr: 'pipe',
      }),
    );
    try {
      const revoked = await client.callTool({ name: 'token_revoke', arguments: { id: pat.id } });
      expect(revoked.isError).toBeFalsy();
    } finally {
      await client.close();
    }
    expect(await status(pat.token)).toBe(401);
  });

  // The routes behind bearerAuth answer a remembered token without waiting (AuthService.knownPrincipal):
  // that path must drop it just as soon, for a PAT and for an access token, on REST and on MCP.
  it('on the API and MCP routes (answered from memory), a revoked PAT and a logged-out session are refused', async () => {
    const list = async (token: string) =>
      (await fetch(`${t.url}/api/v1/containers`, { headers: { authorization: `Bearer ${token}` } })).status;
    const mcp = async (token: string) =>
      (
        await fetch(`${t.url}/mcp`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
          },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
        })
      ).status;
    const pat = (await t.json('POST', '/api/v1/tokens', { name: 'remembered', scopes: ['containers'] })).body;
    for (let i = 0; i < 3; i++) expect(await list(pat.token)).toBe(200);
    expect(await mcp(pat.token)).not.toBe(401);
    expect((await t.json('DELETE', `/api/v1/tokens/${pat.id}`)).status).toBe(200);
    expect(await list(pat.token)).toBe(401);
    expect(await mcp(pat.token)).toBe(401);

    const session = await login('cara', 'cache password two');
    for (let i = 0; i < 3; i++) expect(await list(session.accessToken)).toBe(200);
    const out = await fetch(`${t.url}/api/v1/auth/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${session.accessToken}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(out.status).toBeLessThan(300);
    expect(await list(session.accessToken)).toBe(401);
    const refused = await fetch(`${t.url}/api/v1/containers`, {
      headers: { authorization: `Bearer ${session.accessToken}` },
    });
    expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });
});

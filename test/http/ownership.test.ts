import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
type Json = any;
const PASSWORD = 'ownership-password';

describe('ownership: a user sees and touches only their own', () => {
  let t: TestDaemon;
  const tokens: Record<string, string> = {};
  let aliceContainer = '';

  const as = async (who: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${t.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${tokens[who]}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as Json };
  };

  beforeAll(async () => {
    t = await startTestDaemon();
    for (const name of ['alice', 'bob']) {
      expect((await t.json('POST', '/api/v1/users', { name, password: PASSWORD })).status).toBe(201);
      const login = await t.request('POST', '/api/v1/auth/login', {
        auth: false,
        body: { username: name, password: PASSWORD },
      });
      tokens[name] = ((await login.json()) as Json).accessToken;
    }
    const c = await as('alice', 'POST', '/api/v1/containers', { name: 'private' });
    aliceContainer = c.body.id;
    await as('alice', 'PUT', `/api/v1/containers/${aliceContainer}/files/content`, {
      path: 'a.txt',
      content: 'alice only',
    });
  });
  afterAll(() => t.stop());

  it("answers 404 (never 403) for another user's container, by id or name, on every verb", async () => {
    const id = aliceContainer;
    const attempts: Array<[string, string, unknown?]> = [
      ['GET', `/api/v1/containers/${id}`],
      ['GET', '/api/v1/containers/private'],
      ['GET', `/api/v1/containers/${id}/files/content?path=a.txt`],
      ['PUT', `/api/v1/containers/${id}/files/content`, { path: 'b.txt', content: 'x' }],
      ['POST', '/api/v1/terminal/execute', { container: id, command: ['true'] }],
      ['GET', `/api/v1/terminal/processes?container=${id}`],
      ['GET', `/api/v1/terminal/history?container=${id}`],
      ['POST', `/api/v1/containers/${id}/git/clone`, { url: 'https://example.com/x.git' }],
      ['POST', `/api/v1/containers/${id}/stop`, {}],
      ['DELETE', `/api/v1/containers/${id}`],
    ];
    for (const [method, path, body] of attempts) {
      const res = await as('bob', method, path, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe('not_found');
      // The container was not found (not the route): the op ran its lookup and found nothing of Bob's.
      expect(res.body.error.message, `${method} ${path}`).toMatch(/^container '/);
    }
    expect((await as('bob', 'GET', '/api/v1/containers')).body.containers).toEqual([]);
    // Alice's container is untouched.
    const file = await as('alice', 'GET', `/api/v1/containers/${id}/files/content?path=a.txt`);
    expect(file.body.content).toBe('alice only');
  });

  it("cannot revoke another user's token, nor list users or the audit log", async () => {
    const pat = await as('alice', 'POST', '/api/v1/tokens', { name: 'ci' });
    expect(pat.status).toBe(201);
    expect((await as('bob', 'DELETE', `/api/v1/tokens/${pat.body.id}`)).status).toBe(404);
    expect((await as('bob', 'GET', '/api/v1/tokens')).body.tokens).toEqual([]);
    expect((await as('bob', 'GET', '/api/v1/users')).status).toBe(403);
    expect((await as('bob', 'GET', '/api/v1/audit')).status).toBe(403);
  });

  it("does not let one user continue another user's MCP session", async () => {
    const client = new Client({ name: 'alice', version: '1' });
    const transport = new StreamableHTTPClientTransport(new URL(`${t.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${tokens.alice}` } },
    });
    await client.connect(transport);
    const session = transport.sessionId as string;
    const res = await fetch(`${t.url}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tokens.bob}`,
        'mcp-session-id': session,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'container_list', arguments: {} },
      }),
    });
    expect(res.status).toBe(404);
    await client.close();
  });
});

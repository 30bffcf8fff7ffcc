import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DirectJson } from '../../src/mcp/direct.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

/**
 * The direct path for a session's plain calls (src/mcp/direct.ts) must answer exactly what the SDK's
 * transport answers. Two daemons, one with it and one without (DISCO_MCP_DIRECT_JSON=false), get the same
 * requests; their answers (status, the headers MCP defines, body) must agree, request by request.
 */
let direct: TestDaemon;
let sdk: TestDaemon;
beforeAll(async () => {
  [direct, sdk] = await Promise.all([startTestDaemon(), startTestDaemon({ DISCO_MCP_DIRECT_JSON: 'false' })]);
  for (const t of [direct, sdk]) {
    expect((await t.json('POST', '/api/v1/containers', { name: 'same' })).status).toBe(201);
    await t.json('PUT', '/api/v1/containers/same/files/content', { path: 'a.txt', content: 'hello\nworld\n' });
  }
});
afterAll(async () => {
  await Promise.all([direct?.stop(), sdk?.stop()]);
});

type Answer = { status: number; contentType: string | null; session: boolean; body: unknown };

async function post(t: TestDaemon, body: unknown, headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(`${t.url}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${t.token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  const contentType = res.headers.get('content-type');
  let parsed: unknown = text;
  if (contentType?.startsWith('application/json') && text) parsed = JSON.parse(text);
  // Per-daemon facts (ids, timestamps, session ids) are the same in kind, not in value.
  const normal = JSON.parse(
    JSON.stringify(parsed ?? null)
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
      .replace(/127\.0\.0\.1:\d+/g, '<host>')
      // SSE event ids: a random stream prefix and a counter.
      .replace(/id: [0-9a-f]{8}-(\d+)/g, 'id: <stream>-$1'),
  );
  return { status: res.status, contentType, session: res.headers.has('mcp-session-id'), body: normal };
}

async function open(t: TestDaemon): Promise<Record<string, string>> {
  const res = await fetch(`${t.url}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${t.token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    }),
  });
  await res.text();
  const headers = { 'mcp-session-id': res.headers.get('mcp-session-id') ?? '', 'mcp-protocol-version': '2025-11-25' };
  await post(t, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers);
  return headers;
}

const call = (id: number | string, name: string, args: Record<string, unknown>) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args },
});

describe('MCP plain calls answered directly', () => {
  it('answers every request exactly as the SDK transport does', async () => {
    const [dh, sh] = [await open(direct), await open(sdk)];
    const served = vi.spyOn(DirectJson.prototype, 'serve');
    const cases: Array<{
      name: string;
      body: unknown;
      headers?: (h: Record<string, string>) => Record<string, string>;
    }> = [
      { name: 'file_read', body: call(2, 'file_read', { container: 'same', path: 'a.txt' }) },
      { name: 'string id', body: call('s-1', 'file_read', { container: 'same', path: 'a.txt' }) },
      { name: 'tool error', body: call(3, 'file_read', { container: 'same', path: 'missing.txt' }) },
      { name: 'invalid arguments', body: call(4, 'file_read', { container: 'same' }) },
      { name: 'unknown tool', body: call(5, 'no_such_tool', {}) },
      { name: 'tools/list', body: { jsonrpc: '2.0', id: 6, method: 'tools/list', params: {} } },
      { name: 'ping', body: { jsonrpc: '2.0', id: 7, method: 'ping' } },
      { name: 'unknown method', body: { jsonrpc: '2.0', id: 8, method: 'no/such/method', params: {} } },
      { name: 'not JSON-RPC', body: { jsonrpc: '1.0', id: 9, method: 'ping' } },
      { name: 'notification', body: { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 99 } } },
      { name: 'batch', body: [{ jsonrpc: '2.0', id: 10, method: 'ping' }] },
      { name: 'initialize again', body: { jsonrpc: '2.0', id: 11, method: 'initialize', params: {} } },
      {
        name: 'unsupported protocol version',
        body: { jsonrpc: '2.0', id: 12, method: 'ping' },
        headers: (h) => ({ ...h, 'mcp-protocol-version': '1999-01-01' }),
      },
      {
        name: 'no protocol version header',
        body: { jsonrpc: '2.0', id: 13, method: 'ping' },
        headers: (h) => ({ 'mcp-session-id': h['mcp-session-id'] ?? '' }),
      },
      {
        name: 'unknown session',
        body: { jsonrpc: '2.0', id: 14, method: 'ping' },
        headers: (h) => ({ ...h, 'mcp-session-id': '00000000-0000-4000-8000-000000000000' }),
      },
      {
        name: 'accepts JSON only',
        body: { jsonrpc: '2.0', id: 15, method: 'ping' },
        headers: (h) => ({ ...h, accept: 'application/json' }),
      },
      {
        name: 'progress token (a stream)',
        body: { jsonrpc: '2.0', id: 16, method: 'ping', params: { _meta: { progressToken: 'p' } } },
      },
    ];
    for (const c of cases) {
      const [a, b] = await Promise.all([
        post(direct, c.body, c.headers ? c.headers(dh) : dh),
        post(sdk, c.body, c.headers ? c.headers(sh) : sh),
      ]);
      expect({ case: c.name, ...a }).toEqual({ case: c.name, ...b });
    }
    // The nine plain calls took the direct path; everything else went to the SDK's transport.
    expect(served.mock.results.filter((r) => r.value === true)).toHaveLength(9);
    served.mockRestore();
  });

  it('keeps concurrent calls of one session apart', async () => {
    const h = await open(direct);
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        post(direct, call(100 + i, 'file_read', { container: 'same', path: 'a.txt' }), h),
      ),
    );
    answers.forEach((a, i) => {
      expect(a.status).toBe(200);
      expect(a.body).toMatchObject({ id: 100 + i, result: { structuredContent: { content: 'hello\nworld\n' } } });
    });
  });

  it('still refuses another user and a missing token on the direct path', async () => {
    const h = await open(direct);
    const res = await fetch(`${direct.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...h },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(res.status).toBe(401);
    const other = await direct.json('POST', '/api/v1/users', { name: 'other', password: 'other password one' });
    expect(other.status).toBe(201);
    const pat = await fetch(`${direct.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'other', password: 'other password one' }),
    });
    const { accessToken } = (await pat.json()) as { accessToken: string };
    const foreign = await fetch(`${direct.url}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${accessToken}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...h,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    // Another user's session id is answered exactly like an unknown one.
    expect(foreign.status).toBe(404);
  });
});

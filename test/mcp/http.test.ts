import http from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { mcpPostHeaders } from '../helpers/mcp.js';

let t: TestDaemon;
beforeAll(async () => {
  t = await startTestDaemon();
  await t.json('POST', '/api/v1/containers', { name: 'sse' });
});
afterAll(() => t.stop());

const initialize = (protocolVersion: string, id = 1) => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

/** One POST to /mcp; answers may come as JSON or as an SSE stream, parsed into events. */
async function post(body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${t.url}/mcp`, {
    method: 'POST',
    headers: { ...mcpPostHeaders(t.token), ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  // A plain call is answered with one JSON body; a call that follows progress with an SSE stream.
  if (res.headers.get('content-type')?.startsWith('application/json')) {
    return { res, text, events: [{ id: undefined, data: JSON.parse(text) }] };
  }
  const events = text
    .split('\n\n')
    .filter((chunk) => chunk.includes('data:'))
    .map((chunk) => {
      const id = /^id: (.*)$/m.exec(chunk)?.[1];
      const data = /^data: ?(.*)$/m.exec(chunk)?.[1] ?? '';
      return { id, data: data ? JSON.parse(data) : undefined };
    });
  return { res, text, events };
}

async function openSession(version = '2025-11-25') {
  const { res, events } = await post(initialize(version));
  const session = res.headers.get('mcp-session-id') ?? '';
  await post(
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { 'mcp-session-id': session, 'mcp-protocol-version': version },
  );
  return { session, result: events.find((e) => e.data)?.data.result };
}

describe('/mcp over Streamable HTTP', () => {
  it('needs the bearer token, like REST', async () => {
    const res = await fetch(`${t.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(initialize('2025-11-25')),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('Bearer');
  });

  it('answers a body that is not JSON with a JSON-RPC parse error', async () => {
    // It answered the REST envelope {"error":{"code":"validation_failed",…}}, which no MCP client reads.
    const res = await fetch(`${t.url}/mcp`, {
      method: 'POST',
      headers: mcpPostHeaders(t.token),
      body: '{"jsonrpc":',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      jsonrpc: '2.0',
      error: { code: -32700, message: 'Parse error: the request body is not valid JSON' },
      id: null,
    });
  });

  it('refuses a foreign Origin and accepts https://chatgpt.com', async () => {
    expect((await post(initialize('2025-11-25'), { origin: 'https://evil.example' })).res.status).toBe(403);
    const ok = await post(initialize('2025-11-25'), { origin: 'https://chatgpt.com' });
    expect(ok.res.status).toBe(200);
    expect(ok.res.headers.get('access-control-allow-origin')).toBe('https://chatgpt.com');
  });

  it('refuses a non-loopback Host (DNS rebinding)', async () => {
    const url = new URL(t.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: '/mcp',
          method: 'POST',
          headers: { host: 'attacker.example', authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(initialize('2025-11-25')));
    });
    expect(status).toBe(403);
  });

  it.each(['2025-06-18', '2025-11-25'])('negotiates protocol version %s', async (version) => {
    const { session, result } = await openSession(version);
    expect(session).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.protocolVersion).toBe(version);
    expect(result.serverInfo.name).toBe('disco');
  });

  it('answers a request without a session statelessly, and 404 for an unknown or ended session', async () => {
    const list = { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} };
    const sessionless = await post(list);
    expect(sessionless.res.status).toBe(200);
    expect(sessionless.res.headers.get('mcp-session-id')).toBeNull();
    expect(sessionless.events.find((e) => e.data)?.data.result.tools.length).toBeGreaterThan(5);
    // A stream (GET) still needs a session.
    const stream = await fetch(`${t.url}/mcp`, {
      headers: { authorization: `Bearer ${t.token}`, accept: 'text/event-stream' },
    });
    expect(stream.status).toBe(400);
    expect((await post(list, { 'mcp-session-id': 'not-a-session' })).res.status).toBe(404);
    const { session } = await openSession();
    const listed = await post(list, { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' });
    expect(listed.events.find((e) => e.data)?.data.result.tools.length).toBeGreaterThan(5);
    const del = await fetch(`${t.url}/mcp`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${t.token}`, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' },
    });
    expect(del.status).toBe(200);
    expect((await post(list, { 'mcp-session-id': session })).res.status).toBe(404);
  });

  it('answers a plain call with JSON and streams a call that asks for progress', async () => {
    const { session } = await openSession('2025-11-25');
    const headers = { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };
    const call = (id: number, meta?: Record<string, unknown>) => ({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: {
        name: 'exec',
        arguments: { container: 'sse', command: 'sleep 1.2; echo done', shell: true },
        ...(meta ? { _meta: meta } : {}),
      },
    });
    const plain = await post(call(11), headers);
    expect(plain.res.headers.get('content-type')).toContain('application/json');
    expect(JSON.parse(plain.text)).toMatchObject({ id: 11, result: { structuredContent: { stdout: 'done\n' } } });
    const followed = await post(call(12, { progressToken: 'tok' }), headers);
    expect(followed.res.headers.get('content-type')).toContain('text/event-stream');
    const messages = followed.events.map((e) => e.data).filter(Boolean);
    expect(messages.some((m) => m.method === 'notifications/progress' && m.params.progressToken === 'tok')).toBe(true);
    expect(messages.at(-1)).toMatchObject({ id: 12, result: { structuredContent: { stdout: 'done\n' } } });
  });

  it('resumes a dropped SSE stream from Last-Event-ID and delivers the result', async () => {
    const { session } = await openSession('2025-11-25');
    const headers = { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };
    const controller = new AbortController();
    const res = await fetch(`${t.url}/mcp`, {
      method: 'POST',
      signal: controller.signal,
      headers: {
        authorization: `Bearer ${t.token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: {
          name: 'exec',
          arguments: { container: 'sse', command: 'sleep 1; echo resumed', shell: true },
          // A call that follows progress is streamed (and resumable); a plain one is answered as JSON.
          _meta: { progressToken: 'p1' },
        },
      }),
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    const primingId = /^id: (.+)$/m.exec(first)?.[1];
    expect(primingId, first).toBeTruthy();
    expect(first).toMatch(/^retry: 1000$/m);
    controller.abort();
    // Until the server notices the dropped stream it answers 409 (stream still attached): retry briefly.
    let resumed: Response | undefined;
    for (let i = 0; i < 40; i++) {
      resumed = await fetch(`${t.url}/mcp`, {
        headers: {
          authorization: `Bearer ${t.token}`,
          accept: 'text/event-stream',
          'last-event-id': primingId as string,
          ...headers,
        },
      });
      if (resumed.status !== 409) break;
      await resumed.body?.cancel();
      await new Promise((r) => setTimeout(r, 25));
    }
    if (!resumed) throw new Error('no response');
    expect(resumed.status).toBe(200);
    const r2 = (resumed.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('"id":7')) {
      const { value, done } = await r2.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await r2.cancel();
    expect(text).toContain('resumed\\n');
  });
});

describe('/mcp in stateless mode', () => {
  let s: TestDaemon;
  beforeAll(async () => {
    s = await startTestDaemon({ DISCO_MCP_STATELESS: 'true' });
  });
  afterAll(() => s.stop());

  it('serves every request without a session, so any instance can answer', async () => {
    const client = new Client({ name: 'stateless', version: '1' });
    const transport = new StreamableHTTPClientTransport(new URL(`${s.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${s.token}` } },
    });
    await client.connect(transport);
    expect(transport.sessionId).toBeUndefined();
    const created = await client.callTool({ name: 'container_create', arguments: { name: 'nosession' } });
    expect(created.structuredContent).toMatchObject({ name: 'nosession' });
    const listed = await client.callTool({ name: 'container_list', arguments: {} });
    expect(JSON.stringify(listed.structuredContent)).toContain('nosession');
    await client.close();
  });
});

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { type RedisServer, redisAvailable, startRedis } from '../helpers/redis.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
type Json = any;

describe.runIf(redisAvailable())('two instances behind one Redis', () => {
  let redis: RedisServer;
  let a: TestDaemon;
  let b: TestDaemon;
  let aStopped = false;
  const call = async (d: TestDaemon, method: string, path: string, body?: unknown, token = a.token) => {
    const res = await fetch(`${d.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as Json };
  };

  beforeAll(async () => {
    redis = await startRedis();
    const env = { REDIS_URL: redis.url, DISCO_JWT_SECRET: 'two-instances-secret-0123456789abcdefgh' };
    a = await startTestDaemon(env);
    b = await startTestDaemon({ ...env, DISCO_ADMIN_TOKEN: a.token });
  });
  afterAll(async () => {
    if (!aStopped) await a?.stop();
    await b?.stop();
    await redis?.stop();
  });

  it('serves a container made through A from B: read, write, exec, list', async () => {
    const created = await call(a, 'POST', '/api/v1/containers', { name: 'shared' });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(
      (await call(a, 'PUT', `/api/v1/containers/${id}/files/content`, { path: 'hello.txt', content: 'from A' })).status,
    ).toBe(200);
    // Through B, by id and by name.
    const read = await call(b, 'GET', `/api/v1/containers/shared/files/content?path=hello.txt`);
    expect(read.status).toBe(200);
    expect(read.body.content).toBe('from A');
    const exec = await call(b, 'POST', '/api/v1/terminal/execute', {
      container: id,
      command: ['sh', '-c', 'cat hello.txt; echo " and B"'],
    });
    expect(exec.body).toMatchObject({ exitCode: 0, stdout: 'from A and B\n' });
    expect(
      (await call(b, 'PUT', `/api/v1/containers/${id}/files/content`, { path: 'b.txt', content: 'written via B' }))
        .status,
    ).toBe(200);
    expect((await call(a, 'GET', `/api/v1/containers/${id}/files/content?path=b.txt`)).body.content).toBe(
      'written via B',
    );
    // A background process started through B runs on A; its output is read through either.
    const bg = await call(b, 'POST', '/api/v1/terminal/execute', {
      container: id,
      command: ['sh', '-c', 'echo started; sleep 30'],
      background: true,
    });
    expect(bg.body.running).toBe(true);
    const out = await call(a, 'GET', `/api/v1/terminal/processes/${bg.body.processId}/output?offset=0`);
    expect(out.status).toBe(200);
    expect((await call(b, 'POST', `/api/v1/terminal/processes/${bg.body.processId}/kill`, {})).status).toBe(200);
    const listB = await call(b, 'GET', '/api/v1/containers');
    expect(listB.body.containers.map((c: Json) => c.id)).toContain(id);
  });

  it('refuses on B a token revoked on A, at once', async () => {
    const pat = await call(a, 'POST', '/api/v1/tokens', { name: 'revoke-me' });
    expect((await call(b, 'GET', '/api/v1/auth/me', undefined, pat.body.token)).status).toBe(200);
    await call(a, 'DELETE', `/api/v1/tokens/${pat.body.id}`);
    expect((await call(b, 'GET', '/api/v1/auth/me', undefined, pat.body.token)).status).toBe(401);
  });

  it('continues on B an MCP session started on A', async () => {
    const onA = new StreamableHTTPClientTransport(new URL(`${a.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${a.token}` } },
    });
    const client = new Client({ name: 'roaming', version: '1' });
    await client.connect(onA);
    const sessionId = onA.sessionId as string;
    // A second client speaks the same session through B (as a load balancer would route it).
    const res = await fetch(`${b.url}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${a.token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-06-18',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 42,
        method: 'tools/call',
        params: { name: 'container_list', arguments: {} },
      }),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('"id":42');
    expect(text).toContain('shared');
    await client.close();
  });

  it('relays progress of an op forwarded to A to an MCP client on B (Redis pub/sub)', async () => {
    const client = new Client({ name: 'progress-via-b', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${b.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${a.token}` } },
      }),
    );
    const reports: unknown[] = [];
    const res = await client.callTool(
      {
        name: 'exec',
        arguments: {
          container: 'shared',
          command: ['sh', '-c', 'for i in 1 2 3 4 5; do echo tick $i; sleep 0.5; done'],
        },
      },
      undefined,
      { onprogress: (p) => reports.push(p), timeout: 15_000 },
    );
    expect(res.isError).toBeFalsy();
    expect((res.structuredContent as Json).stdout).toContain('tick 5');
    expect(reports.length).toBeGreaterThan(0);
    await client.close();
  });

  it("reports A's containers unavailable on B once A stops", async () => {
    await a.stop();
    aStopped = true;
    const get = await call(b, 'GET', '/api/v1/containers/shared');
    expect(get.status).toBe(503);
    expect(get.body.error.code).toBe('unavailable');
    const list = await call(b, 'GET', '/api/v1/containers');
    expect(list.status).toBe(200);
    expect(list.body.containers.find((c: Json) => c.name === 'shared')).toMatchObject({ status: 'unavailable' });
    // B itself keeps working.
    expect((await call(b, 'POST', '/api/v1/containers', { name: 'on-b' })).status).toBe(201);
  });
});

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { OPS } from '../../src/daemon/ops/index.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

let t: TestDaemon | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

const get = async (path: string, headers: Record<string, string> = {}) => {
  const res = await t!.request('GET', path, { auth: false, headers });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
};

describe('discovery', () => {
  it('answers /, /config, /capabilities and the plugin manifest without a token, with DISCO_PUBLIC_URL links', async () => {
    t = await startTestDaemon({ DISCO_PUBLIC_URL: 'https://disco.example.com/' });
    const root = JSON.parse((await get('/')).text);
    expect(root).toMatchObject({ name: 'disco', version: expect.any(String) });
    expect(root.links).toMatchObject({
      openapi: 'https://disco.example.com/openapi.json',
      mcp: 'https://disco.example.com/mcp',
      ready: 'https://disco.example.com/ready',
    });

    const config = JSON.parse((await get('/config')).text);
    expect(config).toMatchObject({
      publicUrl: 'https://disco.example.com',
      publicUrlConfigured: true,
      restUrl: 'https://disco.example.com/api/v1',
      mcpUrl: 'https://disco.example.com/mcp',
      websocket: {
        url: 'wss://disco.example.com/socket.io/',
        namespaces: { terminals: 'https://disco.example.com/terminals' },
      },
    });
    expect(config.auth.methods.map((m: { type: string }) => m.type)).toEqual(['bearer', 'oauth2']);
    expect(config.auth.methods[1]).toMatchObject({
      metadataUrl: 'https://disco.example.com/.well-known/oauth-authorization-server',
      tokenUrl: 'https://disco.example.com/oauth/token',
    });

    const plugin = JSON.parse((await get('/.well-known/ai-plugin.json')).text);
    expect(plugin).toMatchObject({
      schema_version: 'v1',
      name_for_model: 'disco',
      api: { type: 'openapi', url: 'https://disco.example.com/openapi.json' },
      auth: {
        type: 'oauth',
        client_url: 'https://disco.example.com/oauth/authorize',
        authorization_url: 'https://disco.example.com/oauth/token',
      },
    });
    const logo = await get('/logo.svg');
    expect(logo.type).toContain('image/svg+xml');
  });

  it('uses the URL a request came to when no public URL is set', async () => {
    t = await startTestDaemon();
    const config = JSON.parse((await get('/config')).text);
    expect(config.publicUrl).toBe(t.url);
    expect(config.websocket.url).toBe(`${t.url.replace('http', 'ws')}/socket.io/`);
    expect(config.publicUrlConfigured).toBe(false);
  });

  it('lists every op of the registry in /capabilities, grouped by area, with both MCP transports', async () => {
    t = await startTestDaemon();
    const caps = JSON.parse((await get('/capabilities')).text);
    expect(caps.ops.map((o: { name: string }) => o.name)).toEqual(OPS.map((o) => o.name));
    const grouped = caps.areas.flatMap((a: { ops: string[] }) => a.ops).sort();
    expect(grouped).toEqual(OPS.map((o) => o.name).sort());
    expect(caps.areas.map((a: { name: string }) => a.name)).toEqual(
      expect.arrayContaining(['containers', 'files', 'exec', 'git']),
    );
    expect(caps.ops.find((o: { name: string }) => o.name === 'file_read')).toMatchObject({
      area: 'files',
      rest: { method: 'GET', path: '/api/v1/containers/{container}/files/content' },
      annotations: { readOnlyHint: true },
    });
    expect(caps.mcp.transports.map((x: { type: string }) => x.type)).toEqual(['streamable-http', 'stdio']);
  });
});

describe('readiness', () => {
  it('is ready with database, sandbox and disk checked, Redis not configured; /health stays liveness', async () => {
    t = await startTestDaemon();
    const ready = await get('/ready');
    expect(ready.status).toBe(200);
    const body = JSON.parse(ready.text);
    expect(body.status).toBe('ready');
    expect(body.checks.database.ok).toBe(true);
    expect(body.checks.redis).toEqual({ configured: false });
    expect(body.checks.disk).toMatchObject({ ok: true, freeBytes: expect.any(Number) });
    expect(body.checks.sandbox.mode).toMatch(/bwrap|none/);
    expect((await get('/health')).status).toBe(200);
    // With no `disco worker` around, the daemon holds the job lease and runs the jobs itself.
    expect(t.daemon.jobs.holdsLease).toBe(true);
  });

  it('is not ready (503, and says why) when free disk space is under the threshold', async () => {
    t = await startTestDaemon({ DISCO_MIN_FREE_DISK_MB: String(1024 * 1024 * 1024) });
    const ready = await get('/ready');
    expect(ready.status).toBe(503);
    const body = JSON.parse(ready.text);
    expect(body.status).toBe('not_ready');
    expect(body.checks.disk).toMatchObject({ ok: false, error: expect.stringContaining('DISCO_MIN_FREE_DISK_MB') });
    expect((await get('/health')).status).toBe(200);
  });
});

describe('metrics', () => {
  it('needs the bearer token on the main port', async () => {
    t = await startTestDaemon();
    expect((await get('/metrics')).status).toBe(401);
    expect((await get('/metrics', { authorization: 'Bearer wrong-token' })).status).toBe(401);
    // A signed-in user who is not an admin: metrics cover everyone's containers, so no.
    expect((await t.json('POST', '/api/v1/users', { name: 'bob', password: 'correct horse battery' })).status).toBe(
      201,
    );
    const login = await t.request('POST', '/api/v1/auth/login', {
      auth: false,
      body: { username: 'bob', password: 'correct horse battery' },
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    expect((await get('/metrics', { authorization: `Bearer ${accessToken}` })).status).toBe(403);
    // An admin's token without the admin scope (a files:read token handed to a model) is no admin token either.
    const narrow = await t.json('POST', '/api/v1/tokens', { name: 'read-only', scopes: ['files:read'] });
    expect((await get('/metrics', { authorization: `Bearer ${narrow.body.token}` })).status).toBe(403);
  });

  it('records latency per op and transport, errors by code, and state gauges', async () => {
    t = await startTestDaemon();
    await t.json('POST', '/api/v1/containers', { name: 'm' });
    await t.json('PUT', '/api/v1/containers/m/files/content', { path: 'a.txt', content: 'hi' });
    await t.json('GET', '/api/v1/containers/m/files/content?path=a.txt');
    expect((await t.json('GET', '/api/v1/containers/m/files/content?path=nope.txt')).status).toBe(404);
    const client = new Client({ name: 'metrics-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${t.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${t.token}` } },
      }),
    );
    await client.callTool({ name: 'file_read', arguments: { container: 'm', path: 'a.txt' } });
    await client.callTool({ name: 'file_read', arguments: { container: 'm', path: '../escape' } });
    await client.close();

    const res = await get('/metrics', { authorization: `Bearer ${t.token}` });
    expect(res.status).toBe(200);
    expect(res.type).toContain('text/plain');
    const m = res.text;
    expect(m).toMatch(/disco_op_duration_seconds_count\{op="file_read",transport="rest",outcome="ok"\} 1/);
    expect(m).toMatch(/disco_op_duration_seconds_count\{op="file_read",transport="mcp",outcome="ok"\} 1/);
    expect(m).toMatch(/disco_op_errors_total\{op="file_read",transport="rest",code="not_found"\} 1/);
    expect(m).toMatch(/disco_op_errors_total\{op="file_read",transport="mcp",code="path_outside_workspace"\} 1/);
    expect(m).toMatch(/disco_http_errors_total\{code="not_found"\} 1/);
    expect(m).toMatch(/disco_containers\{status="ready"\} 1/);
    expect(m).toMatch(/disco_pool_available\{template="blank"\} \d/);
    expect(m).toMatch(/disco_processes_running 0/);
    expect(m).toMatch(/process_resident_memory_bytes \d+/);
    expect(m).not.toContain('disco_redis_up'); // only when Redis is configured
  });

  it('is also served without a token on loopback when DISCO_METRICS_PORT is set', async () => {
    t = await startTestDaemon({ DISCO_METRICS_PORT: '0' });
    const url = t.daemon.metricsUrl;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const res = await fetch(url as string);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('disco_containers');
    expect((await fetch((url as string).replace('/metrics', '/other'))).status).toBe(404);
  });
});

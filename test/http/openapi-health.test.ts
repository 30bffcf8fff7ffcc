import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_ROUTES, TokenPairSchema } from '../../src/daemon/http/auth-contract.js';
import { OPS } from '../../src/daemon/ops/index.js';
import { jsonSchemaOf } from '../../src/daemon/ops/input.js';
import { bodyOf, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

let t: TestDaemon;
beforeAll(async () => {
  t = await startTestDaemon();
});
afterAll(() => t.stop());

describe('/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const doc = await bodyOf(await t.request('GET', '/openapi.json', { auth: false }));
    expect(doc.openapi).toMatch(/^3\.1\./);
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('describes every op of the registry with its scope and MCP annotations', async () => {
    const doc = await bodyOf(await t.request('GET', '/openapi.json', { auth: false }));
    const operations = Object.values(doc.paths as Record<string, Record<string, { operationId: string }>>).flatMap(
      (p) => Object.values(p),
    );
    // Every op, plus the three sign-in endpoints that hand tokens out (and so take none).
    const signIn = ['auth_login', 'auth_logout', 'auth_refresh'];
    expect(operations.map((o) => o.operationId).sort()).toEqual([...OPS.map((op) => op.name), ...signIn].sort());
    expect(doc.components.securitySchemes.oauth2.flows.authorizationCode.tokenUrl).toBe('/oauth/token');
    const write = doc.paths['/api/v1/containers/{container}/files/content'].put;
    expect(write['x-required-scope']).toBe('files:write');
    expect(write['x-mcp-annotations']).toEqual({
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: true,
      openWorldHint: false,
    });
    expect(write.requestBody.content['application/json'].schema.required).toEqual(['path', 'content']);
    const read = doc.paths['/api/v1/containers/{container}/files/content'].get;
    expect(read.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toContain('query:startLine');
  });
});

describe('the sign-in routes (one schema for the handler and the document)', () => {
  it('documents each with the zod schemas its handler parses and answers with', async () => {
    const doc = await bodyOf(await t.request('GET', '/openapi.json', { auth: false }));
    for (const r of AUTH_ROUTES) {
      const post = doc.paths[`/api/v1${r.path}`].post;
      expect(post.requestBody.content['application/json'].schema, r.path).toEqual(jsonSchemaOf(r.body, 'input'));
      expect(post.responses['200'].content['application/json'].schema, r.path).toEqual(
        jsonSchemaOf(r.result, 'output'),
      );
    }
    // What the document says is what the handler does: a key it does not list is refused, the answer is its shape.
    const login = (body: unknown) => t.request('POST', '/api/v1/auth/login', { auth: false, body });
    const extra = await login({ token: t.token, remember: true });
    expect(extra.status).toBe(400);
    const pair = await login({ token: t.token });
    expect(pair.status).toBe(200);
    expect(TokenPairSchema.strict().safeParse(await bodyOf(pair)).success).toBe(true);
  });
});

describe('/docs', () => {
  it('serves Swagger UI from local assets pointing at /openapi.json', async () => {
    const html = await (await t.request('GET', '/docs', { auth: false })).text();
    expect(html).toContain('/docs/assets/swagger-ui-bundle.js');
    const init = await (await t.request('GET', '/docs/init.js', { auth: false })).text();
    expect(init).toContain("url: '/openapi.json'");
    // The bearer token typed into Authorize is not kept in the daemon origin's localStorage.
    expect(init).toContain('persistAuthorization: false');
    const bundle = await t.request('GET', '/docs/assets/swagger-ui-bundle.js', { auth: false });
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toContain('javascript');
  });
});

describe('/health', () => {
  it('reports status, version, uptime and the database check', async () => {
    const r = await t.json('GET', '/health');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'ok', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(r.body.uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(r.body.checks.database.ok).toBe(true);
  });
});

describe('graceful shutdown', () => {
  it('lets an in-flight request finish, cuts what outlives the grace, kills processes and closes the database', async () => {
    const d = await startTestDaemon({ DISCO_SHUTDOWN_GRACE_MS: '1500' });
    await d.json('POST', '/api/v1/containers', { name: 'sd' });
    const quick = d.json('POST', '/api/v1/terminal/execute', { container: 'sd', command: ['sleep', '0.3'] });
    const slow = d
      .json('POST', '/api/v1/terminal/execute', { container: 'sd', command: ['sleep', '30'] })
      .catch((e) => e);
    await new Promise((r) => setTimeout(r, 100));
    const started = performance.now();
    await d.daemon.close();
    const took = performance.now() - started;
    expect((await quick).body).toMatchObject({ exitCode: 0 });
    expect(await slow).toBeInstanceOf(Error);
    expect(took).toBeGreaterThan(1000);
    expect(took).toBeLessThan(5000);
    expect(d.daemon.services.processes.count()).toBe(0);
    expect(d.daemon.db.open).toBe(false);
    await expect(fetch(`${d.url}/health`)).rejects.toThrow();
    await d.stop();
  });

  it('closes promptly when nothing is in flight, even with idle keep-alive connections', async () => {
    const d = await startTestDaemon();
    await d.json('GET', '/api/v1/containers');
    const started = performance.now();
    await d.daemon.close();
    expect(performance.now() - started).toBeLessThan(4000); // a keep-alive wait would be 5 s
    await d.stop();
  });
});

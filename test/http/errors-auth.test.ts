import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPS } from '../../src/daemon/ops/index.js';
import { bodyOf, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { rawGet } from '../helpers/raw-http.js';

let t: TestDaemon;
beforeAll(async () => {
  t = await startTestDaemon();
  await t.json('POST', '/api/v1/containers', { name: 'box' });
});
afterAll(() => t.stop());

/** A concrete URL for each op's route, with its path parameters filled in. */
const routes = OPS.map((op) => ({
  name: op.name,
  method: op.method,
  path: `/api/v1${op.path.replace(/:[A-Za-z_]+/g, 'box')}`,
}));

describe('authentication', () => {
  it.each(routes)('$method $path ($name) needs a token', async ({ method, path }) => {
    const r = await t.request(method, path, { auth: false });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toContain('Bearer');
    expect((await bodyOf(r)).error.code).toBe('unauthorized');
  });

  it('refuses a wrong or malformed token', async () => {
    for (const authorization of ['Bearer nope', 'Basic abc', `Bearer ${t.token}x`, t.token]) {
      const r = await t.request('GET', '/api/v1/containers', { auth: false, headers: { authorization } });
      expect(r.status, authorization).toBe(401);
    }
  });

  it('keeps health, the OpenAPI document and the docs public', async () => {
    for (const p of ['/health', '/openapi.json', '/docs']) {
      expect((await t.request('GET', p, { auth: false })).status, p).toBe(200);
    }
  });
});

describe('error model', () => {
  it('answers unknown routes with a 404 JSON error', async () => {
    const r = await t.request('GET', '/api/v1/nothing-here');
    expect(r.status).toBe(404);
    expect(await bodyOf(r)).toEqual({
      error: { code: 'not_found', message: 'route GET /api/v1/nothing-here not found' },
    });
    expect((await t.request('GET', '/nope', { auth: false })).status).toBe(404);
  });

  it('answers malformed JSON with validation_failed', async () => {
    const r = await t.request('POST', '/api/v1/containers', { body: '{"name": ' });
    expect(r.status).toBe(400);
    expect((await bodyOf(r)).error).toMatchObject({
      code: 'validation_failed',
      message: 'request body is not valid JSON',
    });
  });

  it('refuses a body that is not a JSON object instead of running the op with its defaults', async () => {
    const before = (await t.json('GET', '/api/v1/containers')).body.containers.length;
    // `curl -d '{…}'` without -H content-type sends the JSON as a form.
    const form = await t.request('POST', '/api/v1/containers', {
      body: '{"name":"formbox"}',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    expect((await bodyOf(form)).error).toMatchObject({
      code: 'unsupported_media_type',
      message: expect.stringContaining('Content-Type: application/json'),
    });
    const array = await t.request('POST', '/api/v1/containers', { body: '[]' });
    expect(array.status).toBe(400);
    expect((await bodyOf(array)).error).toEqual({
      code: 'validation_failed',
      message: 'the request body must be a JSON object',
    });
    expect((await t.json('GET', '/api/v1/containers')).body.containers.length).toBe(before);
    // No body at all is still an empty input.
    const empty = await t.request('POST', '/api/v1/containers/box/stop');
    expect(empty.status).toBe(200);
  });

  it('refuses unknown input keys and wrong types, naming the field', async () => {
    const r = await t.json('GET', '/api/v1/containers/box/files?recursiv=true');
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain('recursiv');
    const typed = await t.json('GET', '/api/v1/containers/box/files?depth=deep');
    expect(typed.body.error.details.issues[0].path).toBe('depth');
  });

  it('answers an over-limit body with too_large', async () => {
    const small = await startTestDaemon({ DISCO_FILE_WRITE_MAX_BYTES: '2048' });
    try {
      await small.json('POST', '/api/v1/containers', { name: 'b' });
      const r = await small.json('PUT', '/api/v1/containers/b/files/content', {
        path: 'x',
        content: 'x'.repeat(200_000),
      });
      expect(r.status).toBe(413);
      expect(r.body.error.code).toBe('too_large');
    } finally {
      await small.stop();
    }
  });

  it('never leaks a stack trace or a server path in an error', async () => {
    const bodies = await Promise.all([
      t.json('GET', '/api/v1/containers/box/files/content?path=missing.txt'),
      t.json('GET', '/api/v1/containers/box/files/content?path=../../etc/passwd'),
      t.json('POST', '/api/v1/containers/box/files/move', { from: 'a', to: 'b' }),
    ]);
    for (const { body } of bodies) {
      const text = JSON.stringify(body);
      expect(text).not.toContain(t.home);
      expect(text).not.toMatch(/\bat .+:\d+:\d+/);
    }
  });

  it('echoes a well-formed X-Request-Id and generates one otherwise', async () => {
    const echoed = await t.request('GET', '/health', { auth: false, headers: { 'x-request-id': 'abc-123' } });
    expect(echoed.headers.get('x-request-id')).toBe('abc-123');
    const generated = await t.request('GET', '/health', {
      auth: false,
      headers: { 'x-request-id': 'bad id with spaces' },
    });
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('Origin and Host guards', () => {
  it('refuses a foreign Origin with 403', async () => {
    const r = await t.request('GET', '/api/v1/containers', { headers: { origin: 'https://evil.example' } });
    expect(r.status).toBe(403);
    expect((await bodyOf(r)).error.code).toBe('forbidden');
  });

  it('allows https://chatgpt.com with CORS headers, including the preflight', async () => {
    const r = await t.request('GET', '/api/v1/containers', { headers: { origin: 'https://chatgpt.com' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBe('https://chatgpt.com');
    const pre = await t.request('OPTIONS', '/api/v1/containers', {
      auth: false,
      headers: { origin: 'https://chatgpt.com' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-headers')).toContain('Authorization');
  });

  it('sends no CORS header to same-origin requests', async () => {
    const r = await t.request('GET', '/api/v1/containers', { headers: { origin: t.url } });
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a non-loopback Host on a loopback daemon (DNS rebinding)', async () => {
    const port = new URL(t.url).port;
    const bad = await rawGet(t.url, '/api/v1/containers', {
      host: `evil.example:${port}`,
      authorization: `Bearer ${t.token}`,
    });
    expect(bad.status).toBe(403);
    const good = await rawGet(t.url, '/api/v1/containers', {
      host: `localhost:${port}`,
      authorization: `Bearer ${t.token}`,
    });
    expect(good.status).toBe(200);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyOf, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { rawGet } from '../helpers/raw-http.js';

describe('HTTP hardening', () => {
  let t: TestDaemon;
  beforeAll(async () => {
    t = await startTestDaemon();
  });
  afterAll(() => t.stop());

  it('sends a CSP whose frame-ancestors admits ChatGPT, and no X-Frame-Options', async () => {
    for (const path of ['/health', '/docs/', '/openapi.json']) {
      const res = await fetch(`${t.url}${path}`);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("frame-ancestors 'self' https://chatgpt.com");
      expect(csp).toContain("script-src 'self'");
      expect(res.headers.get('x-frame-options')).toBeNull();
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });

  it("gives API answers the API's own headers, and pages (sign-in included) the page set", async () => {
    const pageOnly = [
      'cross-origin-opener-policy',
      'origin-agent-cluster',
      'x-xss-protection',
      'x-dns-prefetch-control',
    ];
    const api = [
      await t.request('GET', '/api/v1/containers'),
      await t.request('GET', '/API/V1/containers'),
      await fetch(`${t.url}/api/v1/containers`),
      await fetch(`${t.url}/mcp`, { method: 'POST' }),
    ];
    for (const res of api) {
      expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('strict-transport-security')).toBe('max-age=15552000');
      expect(res.headers.get('cross-origin-resource-policy')).toBe('same-site');
      for (const name of pageOnly) expect(res.headers.get(name)).toBeNull();
    }
    const signIn = await fetch(`${t.url}/api/v1/auth/login`, { method: 'POST' });
    for (const res of [signIn, await fetch(`${t.url}/mcpx`), await fetch(`${t.url}/api/v1`)]) {
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'self' https://chatgpt.com");
      for (const name of pageOnly) expect(res.headers.get(name)).not.toBeNull();
    }
  });

  it('answers CORS only for configured origins, never with credentials', async () => {
    const preflight = (origin: string) =>
      fetch(`${t.url}/api/v1/containers`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
      });
    const ok = await preflight('https://chatgpt.com');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://chatgpt.com');
    expect(ok.headers.get('access-control-allow-credentials')).toBeNull();
    const evil = await preflight('https://evil.example');
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a state-changing request from a foreign origin even with a valid token', async () => {
    const res = await t.request('POST', '/api/v1/containers', {
      body: {},
      headers: { origin: 'https://evil.example' },
    });
    expect(res.status).toBe(403);
    expect((await bodyOf(res)).error.code).toBe('forbidden');
    expect((await t.json('GET', '/api/v1/containers')).body.containers).toEqual([]);
  });

  it('refuses a foreign Host on a loopback daemon (DNS rebinding)', async () => {
    const res = await rawGet(t.url, '/api/v1/containers', { host: 'evil.example', authorization: `Bearer ${t.token}` });
    expect(res.status).toBe(403);
  });

  it('lets any web origin read OAuth discovery (cookie-less, public)', async () => {
    const res = await fetch(`${t.url}/.well-known/oauth-authorization-server`, {
      headers: { origin: 'https://claude.ai' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('limits request bodies on the sign-in endpoints', async () => {
    const res = await fetch(`${t.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: 'x'.repeat(64 * 1024) }),
    });
    expect(res.status).toBe(413);
    expect((await bodyOf(res)).error.code).toBe('too_large');
  });
});

describe('rate limits', () => {
  let t: TestDaemon;
  beforeAll(async () => {
    t = await startTestDaemon({ DISCO_AUTH_RATE_LIMIT_PER_MINUTE: '3', DISCO_RATE_LIMIT_PER_MINUTE: '8' });
  });
  afterAll(() => t.stop());

  it('answers 429 with Retry-After past the sign-in budget of an address', async () => {
    const attempt = () =>
      fetch(`${t.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'nobody', password: 'wrong-password' }),
      });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await attempt()).status);
    expect(statuses).toEqual([401, 401, 401]);
    const limited = await attempt();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await bodyOf(limited)).error.code).toBe('rate_limited');
  });

  it('limits requests per user', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await t.request('GET', '/api/v1/containers')).status);
    expect(statuses).toEqual(Array(8).fill(200));
    const limited = await t.request('GET', '/api/v1/containers');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await bodyOf(limited)).error.message).toContain('for this user');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { type RedisServer, redisAvailable, startRedis } from '../helpers/redis.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
type Json = any;

describe.runIf(redisAvailable())('tokens shared by two instances through Redis', () => {
  let redis: RedisServer;
  let a: TestDaemon;
  let b: TestDaemon;
  const secret = 'cluster-secret-for-tests-0123456789abcdef';
  const me = async (d: TestDaemon, token: string) =>
    (await fetch(`${d.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status;

  beforeAll(async () => {
    redis = await startRedis();
    const env = { REDIS_URL: redis.url, DISCO_JWT_SECRET: secret, DISCO_PUBLIC_URL: 'http://disco.test' };
    a = await startTestDaemon(env);
    b = await startTestDaemon({ ...env, DISCO_ADMIN_TOKEN: a.token });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await redis?.stop();
  });

  it('a PAT made on A works on B, and revoking it on A refuses it on B at once', async () => {
    const pat = await a.json('POST', '/api/v1/tokens', { name: 'shared', scopes: ['containers'] });
    expect(pat.status).toBe(201);
    expect(await me(b, pat.body.token)).toBe(200);
    const listOnB = (await (
      await fetch(`${b.url}/api/v1/tokens`, { headers: { authorization: `Bearer ${a.token}` } })
    ).json()) as Json;
    expect(listOnB.tokens.map((t: Json) => t.name)).toContain('shared');
    expect((await a.json('DELETE', `/api/v1/tokens/${pat.body.id}`)).status).toBe(200);
    expect(await me(b, pat.body.token)).toBe(401);
  });

  it('a session signed in on A is served, refreshed and ended on B', async () => {
    await a.json('POST', '/api/v1/users', { name: 'zoe', password: 'cluster password' });
    const login = (await (
      await fetch(`${a.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'zoe', password: 'cluster password' }),
      })
    ).json()) as Json;
    expect(await me(b, login.accessToken)).toBe(200);
    const whoOnB = (await (
      await fetch(`${b.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${login.accessToken}` } })
    ).json()) as Json;
    expect(whoOnB.user.name).toBe('zoe');
    const refreshed = (await (
      await fetch(`${b.url}/api/v1/auth/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: login.refreshToken }),
      })
    ).json()) as Json;
    expect(refreshed.accessToken).toBeTruthy();
    // Reusing the spent token on A revokes the session everywhere.
    const reuse = await fetch(`${a.url}/api/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: login.refreshToken }),
    });
    expect(reuse.status).toBe(401);
    expect(await me(b, refreshed.accessToken)).toBe(401);
    expect(await me(a, refreshed.accessToken)).toBe(401);
  });

  it('revokes every token of a user on all instances at once (admin, through B)', async () => {
    const login = (await (
      await fetch(`${a.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'zoe', password: 'cluster password' }),
      })
    ).json()) as Json;
    const pat = (await (
      await fetch(`${a.url}/api/v1/tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${login.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'zoe-ci', expiresInDays: 30 }),
      })
    ).json()) as Json;
    expect(await me(b, pat.token)).toBe(200);
    // B does not hold Zoe's row; the revocation reaches her tokens through Redis all the same.
    const revoked = await fetch(`${b.url}/api/v1/users/${login.user.id}/revoke-tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(((await revoked.json()) as Json).personalAccessTokens).toBeGreaterThanOrEqual(1);
    for (const d of [a, b]) {
      expect(await me(d, pat.token)).toBe(401);
      expect(await me(d, login.accessToken)).toBe(401);
    }
  });

  it('a token B has checked many times is refused on B the moment A revokes it', async () => {
    const pat = await a.json('POST', '/api/v1/tokens', { name: 'remembered', scopes: ['account'] });
    expect(pat.status).toBe(201);
    expect(await me(b, pat.body.token)).toBe(200);
    for (let i = 0; i < 3; i++) expect(await me(b, pat.body.token)).toBe(200);
    expect((await a.json('DELETE', `/api/v1/tokens/${pat.body.id}`)).status).toBe(200);
    expect(await me(b, pat.body.token)).toBe(401);
    expect(await me(a, pat.body.token)).toBe(401);
  });
});

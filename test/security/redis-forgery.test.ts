import { createHash, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/daemon/config.js';
import { disco } from '../helpers/cli.js';
import { callWithToken, startTestDaemon, type TestDaemon, tempDir } from '../helpers/daemon.js';
import { type RedisServer, redisAvailable, startRedis } from '../helpers/redis.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
type Json = any;
const SECRET = 'redis-forgery-secret-0123456789abcdefghij';
const digest = (s: string) => createHash('sha256').update(s).digest('hex');

/** A token-store record of an admin PAT as the store writes it, for an attacker to write into Redis. */
const adminPatRecord = (token: string, id: string, kind: string, name = kind) => ({
  id,
  userId: 'admin',
  name,
  tokenHash: digest(token),
  hint: 'disco_pat_xxxx…',
  scopes: ['containers', 'exec', 'account', 'admin'],
  kind,
  userName: 'admin',
  userIsAdmin: true,
  createdAt: Date.now(),
  expiresAt: null,
  lastUsedAt: null,
  revokedAt: null,
});

describe.runIf(redisAvailable())('records written straight into Redis', () => {
  let redis: RedisServer;
  let t: TestDaemon;
  /** The attacker's own connection: they can write Redis, but do not know DISCO_JWT_SECRET. */
  let attacker: Redis;
  const call = (method: string, urlPath: string, token?: string, body?: unknown) =>
    callWithToken(t.url, method, urlPath, token, body);

  beforeAll(async () => {
    redis = await startRedis();
    t = await startTestDaemon({ REDIS_URL: redis.url, DISCO_JWT_SECRET: SECRET });
    attacker = new Redis(redis.url, { keyPrefix: 'disco:' });
  });
  afterAll(async () => {
    attacker?.disconnect();
    await t?.stop();
    await redis?.stop();
  });

  it('refuses an admin PAT minted by writing its record into Redis', async () => {
    const token = `disco_pat_${randomBytes(32).toString('base64url')}`;
    const forged = adminPatRecord(token, 'tok_0123456789abcdef', 'pat', 'forged');
    await attacker.set(`pat:${digest(token)}`, JSON.stringify(forged));
    await attacker.set(`pat-id:${forged.id}`, digest(token));
    await attacker.sadd('pats:admin', forged.id);
    expect((await call('GET', '/api/v1/auth/me', token)).status).toBe(401);
    expect((await call('GET', '/api/v1/users', token)).status).toBe(401);
    expect((await call('POST', '/api/v1/auth/login', undefined, { token })).status).toBe(401);
    // The daemon's own listing of the admin's tokens does not show the forgery either.
    const listed = (await t.json('GET', '/api/v1/tokens')).body.tokens as Json[];
    expect(listed.map((p) => p.id)).not.toContain(forged.id);
  });

  it('refuses an admin session minted by writing a refresh token and its family into Redis', async () => {
    const refreshToken = `disco_rt_${randomBytes(32).toString('base64url')}`;
    const familyId = 'forged-family';
    const row = {
      tokenHash: digest(refreshToken),
      familyId,
      userId: 'admin',
      clientId: null,
      scopes: ['containers', 'exec', 'account', 'admin'],
      audience: t.url,
      createdAt: Date.now(),
      expiresAt: Date.now() + 3_600_000,
      usedAt: null,
      revokedAt: null,
      userName: 'admin',
      userIsAdmin: true,
    };
    await attacker.set(`rt:${digest(refreshToken)}`, JSON.stringify(row), 'PX', 3_600_000);
    await attacker.set(`fam:${familyId}`, 'live', 'PX', 3_600_000);
    await attacker.sadd('fams:admin', familyId);
    const res = await call('POST', '/api/v1/auth/refresh', undefined, { refreshToken });
    expect(res.status).toBe(401);
    expect(res.body.accessToken).toBeUndefined();
  });

  it('refuses a real record once it was tampered with, and keeps serving the untouched ones', async () => {
    expect((await t.json('POST', '/api/v1/users', { name: 'quinn', password: 'quinn password' })).status).toBe(201);
    const session = (
      await call('POST', '/api/v1/auth/login', undefined, { username: 'quinn', password: 'quinn password' })
    ).body;
    const pat = (await call('POST', '/api/v1/tokens', session.accessToken, { name: 'ci', scopes: ['containers'] }))
      .body;
    expect((await call('GET', '/api/v1/auth/me', pat.token)).status).toBe(200);

    // Edit the stored PAT in place: make it the admin's, with every scope.
    const key = `pat:${digest(pat.token)}`;
    const stored = (await attacker.get(key)) as string;
    expect(stored).toContain(pat.id);
    const edited = stored
      .replace(/"userIsAdmin":false/, '"userIsAdmin":true')
      .replace(/"scopes":\["containers"\]/, '"scopes":["containers","exec","account","admin"]');
    expect(edited).not.toBe(stored);
    await attacker.set(key, edited);
    expect((await call('GET', '/api/v1/auth/me', pat.token)).status).toBe(401);
    expect((await call('GET', '/api/v1/users', pat.token)).status).toBe(401);

    // Copy the admin's sealed bootstrap record to a digest the attacker knows the secret of.
    const mine = `disco_pat_${randomBytes(32).toString('base64url')}`;
    await attacker.set(`pat:${digest(mine)}`, (await attacker.get(`pat:${digest(t.token)}`)) as string);
    expect((await call('GET', '/api/v1/auth/me', mine)).status).toBe(401);

    // A session record moved onto quinn's family cannot make her session the admin's either.
    const adminSession = (await call('POST', '/api/v1/auth/login', undefined, { token: t.token })).body;
    await attacker.set(`fam:${session.sessionId}`, (await attacker.get(`fam:${adminSession.sessionId}`)) as string);
    expect((await call('GET', '/api/v1/auth/me', session.accessToken)).status).toBe(401);

    // Untouched records are still served.
    expect((await call('GET', '/api/v1/auth/me', adminSession.accessToken)).status).toBe(200);
    expect((await call('GET', '/api/v1/auth/me', t.token)).status).toBe(200);
  }, 60_000);
});

describe.runIf(redisAvailable())('records written before sealing', () => {
  it('are refused, except the bootstrap token, which the daemon registers again at start', async () => {
    const redis = await startRedis();
    const old = new Redis(redis.url, { keyPrefix: 'disco:' });
    const bootstrap = `legacy-bootstrap-${randomBytes(16).toString('hex')}`;
    const legacyPat = `disco_pat_${randomBytes(32).toString('base64url')}`;
    // What an older version wrote: plain JSON.
    await old.set(
      `pat:${digest(bootstrap)}`,
      JSON.stringify(adminPatRecord(bootstrap, 'tok_00000000000000aa', 'bootstrap')),
    );
    await old.set(`pat:${digest(legacyPat)}`, JSON.stringify(adminPatRecord(legacyPat, 'tok_00000000000000bb', 'pat')));
    const t = await startTestDaemon({ REDIS_URL: redis.url, DISCO_JWT_SECRET: SECRET, DISCO_ADMIN_TOKEN: bootstrap });
    try {
      const me = (token: string) =>
        fetch(`${t.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
      expect(await me(bootstrap)).toBe(200);
      expect(await me(legacyPat)).toBe(401);
      expect((await old.get(`pat:${digest(bootstrap)}`))?.startsWith('s1.')).toBe(true);
    } finally {
      old.disconnect();
      await t.stop();
      await redis.stop();
    }
  }, 60_000);
});

describe('Redis off loopback needs a password', () => {
  const config = (url: string) => () =>
    loadConfig({ DISCO_HOME: '/tmp/disco-redis-url-test', REDIS_URL: url, DISCO_JWT_SECRET: SECRET });

  it('refuses to start with a non-loopback Redis and no password, and says what to do', () => {
    for (const url of ['redis://10.1.2.3:6379', 'redis://redis.internal:6379/0', 'rediss://user@redis.example:6380']) {
      expect(config(url), url).toThrow(ConfigError);
      expect(config(url), url).toThrow(/REDIS_URL.*password/);
    }
  });

  it('the daemon itself exits with that message before it serves anything', async () => {
    const home = await tempDir();
    const run = await disco(['serve'], {
      DISCO_HOME: home,
      DISCO_PORT: '0',
      REDIS_URL: 'redis://10.1.2.3:6379',
      DISCO_JWT_SECRET: SECRET,
    });
    await rm(home, { recursive: true, force: true });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/REDIS_URL: Redis at 10\.1\.2\.3 is not on loopback, so it needs a password/);
  });

  it('accepts a password off loopback, and loopback without one', () => {
    for (const url of [
      'redis://:s3cret@10.1.2.3:6379',
      'rediss://disco:s3cret@redis.example:6380',
      'redis://127.0.0.1:6379',
      'redis://localhost:6379',
      'redis://[::1]:6379',
    ]) {
      expect(config(url)().redisUrl, url).toBe(url);
    }
  });
});

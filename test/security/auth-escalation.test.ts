import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeJwt, importJWK, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callWithToken, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const PASSWORD = 'escalation password';

/** Calls the daemon with a bearer token of the test's choosing (or none). */
const caller = (t: TestDaemon) => (method: string, urlPath: string, token?: string, body?: unknown) =>
  callWithToken(t.url, method, urlPath, token, body);

describe('escalation through access tokens, first passwords and password changes', () => {
  let t: TestDaemon;
  let call: ReturnType<typeof caller>;
  const login = (username: string, password = PASSWORD) =>
    call('POST', '/api/v1/auth/login', undefined, { username, password });
  const tokenLogin = (token: string, scopes?: string[]) =>
    call('POST', '/api/v1/auth/login', undefined, { token, ...(scopes ? { scopes } : {}) });
  const refresh = (refreshToken: string) => call('POST', '/api/v1/auth/refresh', undefined, { refreshToken });
  const me = (token: string) => call('GET', '/api/v1/auth/me', token);

  beforeAll(async () => {
    // No DISCO_JWT_SECRET: the daemon signs with its own Ed25519 key in $DISCO_HOME/keys.
    t = await startTestDaemon();
    call = caller(t);
    expect((await t.json('POST', '/api/v1/users', { name: 'mallory', password: PASSWORD })).status).toBe(201);
  });
  afterAll(() => t.stop());

  it('refuses a token signed with the daemon’s own key that names admin and a non-admin’s live session', async () => {
    const session = (await login('mallory')).body;
    expect(session.user.isAdmin).toBe(false);
    // The attacker has read the signing key (as one who escaped to the daemon's files would).
    const jwk = JSON.parse(await readFile(path.join(t.home, 'keys', 'jwt-signing.json'), 'utf8')) as JWK;
    const key = await importJWK(jwk, 'EdDSA');
    const forge = (claims: Record<string, unknown>) =>
      new SignJWT({ scope: 'containers exec account admin', sid: session.sessionId, ...claims })
        .setProtectedHeader({ alg: 'EdDSA', kid: jwk.kid, typ: 'at+jwt' })
        .setIssuer(t.url)
        .setAudience(t.url)
        .setJti('forged')
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + 60)
        .sign(key);
    const asAdmin = await forge({ sub: 'admin', name: 'admin', adm: true });
    expect((await me(asAdmin)).status).toBe(401);
    expect((await call('GET', '/api/v1/users', asAdmin)).status).toBe(401);
    // The same forgery naming mallory herself is hers, with her own powers only (the positive control).
    const asHerself = await forge({ sub: session.user.id, name: 'admin', adm: true });
    const who = await me(asHerself);
    expect(who.status).toBe(200);
    expect(who.body.user).toMatchObject({ name: 'mallory', isAdmin: false });
    expect(who.body.scopes).not.toContain('admin');
    expect((await call('GET', '/api/v1/users', asHerself)).status).toBe(403);
  }, 60_000);

  it('an account-only token of an admin without a password cannot set a first password; a full sign-in can', async () => {
    const pat = await t.json('POST', '/api/v1/tokens', { name: 'account only', scopes: ['account'] });
    expect(pat.status).toBe(201);
    const accountPat = pat.body.token as string;
    const accountSession = (await tokenLogin(accountPat)).body;
    expect(accountSession.scopes).toEqual(['account']);
    for (const token of [accountPat, accountSession.accessToken]) {
      const set = await call('PUT', '/api/v1/auth/password', token, { newPassword: 'attacker chosen password' });
      expect(set.status).toBe(403);
      expect(set.body.error.code).toBe('forbidden');
      expect(set.body.error.message).toMatch(/first password/);
    }
    expect((await login('admin', 'attacker chosen password')).status).toBe(401);

    // A session signed in with every scope of the admin (the bootstrap token) may set it.
    const full = (await tokenLogin(t.token)).body;
    expect(full.scopes).toContain('admin');
    const set = await call('PUT', '/api/v1/auth/password', full.accessToken, { newPassword: 'the admin password' });
    expect(set).toMatchObject({ status: 200, body: { changed: true } });
    expect((await login('admin', 'the admin password')).status).toBe(200);
    // Once there is a password, changing it needs the current one, whatever the token's scopes.
    const change = await call('PUT', '/api/v1/auth/password', accountPat, {
      currentPassword: 'the admin password',
      newPassword: 'another admin password',
    });
    expect(change.status).toBe(200);
  }, 60_000);

  it('a password change ends the user’s other sessions and refresh tokens, keeps the current one and PATs', async () => {
    expect((await t.json('POST', '/api/v1/users', { name: 'nina', password: PASSWORD })).status).toBe(201);
    const current = (await login('nina')).body;
    const other = (await login('nina')).body;
    const pat = (await call('POST', '/api/v1/tokens', current.accessToken, { name: 'ci', scopes: ['containers'] }))
      .body;
    expect((await me(other.accessToken)).status).toBe(200);
    const changed = await call('PUT', '/api/v1/auth/password', current.accessToken, {
      currentPassword: PASSWORD,
      newPassword: 'nina’s new password',
    });
    expect(changed.status).toBe(200);
    expect((await me(other.accessToken)).status).toBe(401);
    expect((await refresh(other.refreshToken)).status).toBe(401);
    expect((await me(current.accessToken)).status).toBe(200);
    const renewed = await refresh(current.refreshToken);
    expect(renewed.status).toBe(200);
    expect(decodeJwt(renewed.body.accessToken).sid).toBe(current.sessionId);
    // Like GitHub, a password change leaves personal access tokens alone (revoke them by hand, or all at once).
    expect((await me(pat.token)).status).toBe(200);
    expect((await login('nina', 'nina’s new password')).status).toBe(200);
  }, 60_000);

  it('an admin’s account-only token revokes only the admin’s own tokens; another user’s needs the admin scope', async () => {
    expect((await t.json('POST', '/api/v1/users', { name: 'olga', password: PASSWORD })).status).toBe(201);
    const olga = (await login('olga')).body;
    const victim = (await call('POST', '/api/v1/tokens', olga.accessToken, { name: 'ci', scopes: ['containers'] }))
      .body;
    const accountOnly = (await t.json('POST', '/api/v1/tokens', { name: 'account-no-admin', scopes: ['account'] }))
      .body;
    const own = (await t.json('POST', '/api/v1/tokens', { name: 'own', scopes: ['containers'] })).body;
    expect((await call('DELETE', `/api/v1/tokens/${victim.id}`, accountOnly.token)).status).toBe(404);
    expect((await me(victim.token)).status).toBe(200);
    expect((await call('DELETE', `/api/v1/tokens/${own.id}`, accountOnly.token)).status).toBe(200);
    // With the admin scope, an admin still revokes anyone's token.
    expect((await t.json('DELETE', `/api/v1/tokens/${victim.id}`)).status).toBe(200);
    expect((await me(victim.token)).status).toBe(401);
  }, 60_000);
});

describe('the sign-in rate limit', () => {
  let t: TestDaemon;
  let call: ReturnType<typeof caller>;

  beforeAll(async () => {
    // A budget of 10 sign-ins a minute: far below the calls below, so any of them counted would show.
    t = await startTestDaemon({ DISCO_AUTH_RATE_LIMIT_PER_MINUTE: '10' });
    call = caller(t);
    expect((await t.json('POST', '/api/v1/users', { name: 'olga', password: PASSWORD })).status).toBe(201);
  });
  afterAll(() => t.stop());

  it('does not count /auth/me or password changes, and still stops repeated failed sign-ins', async () => {
    const session = (await call('POST', '/api/v1/auth/login', undefined, { username: 'olga', password: PASSWORD }))
      .body;
    for (let i = 0; i < 40; i++) expect((await call('GET', '/api/v1/auth/me', session.accessToken)).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const wrong = await call('PUT', '/api/v1/auth/password', session.accessToken, {
        currentPassword: 'not it',
        newPassword: 'whatever password',
      });
      expect(wrong.status).toBe(401);
    }
    expect((await call('POST', '/api/v1/auth/login', undefined, { username: 'olga', password: PASSWORD })).status).toBe(
      200,
    );
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      statuses.push(
        (await call('POST', '/api/v1/auth/login', undefined, { username: 'olga', password: 'wrong guess' })).status,
      );
    }
    expect(statuses).toContain(429);
    expect(statuses.slice(0, 8)).toEqual(Array(8).fill(401));
    expect(statuses.at(-1)).toBe(429);
  }, 180_000);
});

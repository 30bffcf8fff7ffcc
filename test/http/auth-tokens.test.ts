import { createSecretKey } from 'node:crypto';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
type Json = any;
const SECRET = 'a-shared-signing-secret-of-at-least-32-chars';
const PASSWORD = 'lifecycle password';

describe('token lifecycle', () => {
  let t: TestDaemon;
  let carolId = '';

  const call = async (method: string, path: string, token: string | undefined, body?: unknown) => {
    const res = await fetch(`${t.url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as Json };
  };
  const login = (username: string, password = PASSWORD) =>
    call('POST', '/api/v1/auth/login', undefined, { username, password });
  const me = (token: string) => call('GET', '/api/v1/auth/me', token);

  /** A token signed with the daemon's own secret, with claims a test controls. */
  const forge = (
    claims: Record<string, unknown>,
    opts: { secret?: string; exp?: number; aud?: string; iss?: string } = {},
  ) =>
    new SignJWT({ scope: 'containers', sid: 'forged', ...claims })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setSubject(carolId)
      .setJti('j1')
      .setIssuer(opts.iss ?? t.url)
      .setAudience(opts.aud ?? t.url)
      .setIssuedAt()
      .setExpirationTime(opts.exp ?? Math.floor(Date.now() / 1000) + 60)
      .sign(createSecretKey(Buffer.from(opts.secret ?? SECRET)));

  beforeAll(async () => {
    t = await startTestDaemon({ DISCO_JWT_SECRET: SECRET });
    const created = await t.json('POST', '/api/v1/users', {
      name: 'carol',
      password: PASSWORD,
      email: 'carol@example.com',
    });
    expect(created.status).toBe(201);
    carolId = created.body.id;
  });
  afterAll(() => t.stop());

  it('signs in with a password; a wrong password and an unknown user get the same answer', async () => {
    const ok = await login('carol');
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, user: { name: 'carol', isAdmin: false } });
    expect(ok.body.scopes).not.toContain('admin');
    expect((await me(ok.body.accessToken)).body).toMatchObject({
      user: { name: 'carol', email: 'carol@example.com' },
      via: 'session',
    });
    const wrong = await login('carol', 'not the password');
    const nobody = await login('nobody', 'not the password');
    expect(wrong.status).toBe(401);
    expect(nobody.body.error.message).toBe(wrong.body.error.message);
    expect((await t.json('POST', '/api/v1/users', { name: 'dave', password: 'short' })).body.error.code).toBe(
      'validation_failed',
    );
  });

  it('exchanges the bootstrap token for an admin session', async () => {
    const res = await call('POST', '/api/v1/auth/login', undefined, { token: t.token });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ name: 'admin', isAdmin: true });
    expect((await me(res.body.accessToken)).body.via).toBe('session');
    expect((await me(t.token)).body.via).toBe('admin_token');
  });

  it('refuses expired, wrongly addressed, wrongly signed and unsigned tokens', async () => {
    const valid = await forge({});
    // A forged token is well-formed but names no live session: it is refused as revoked.
    expect((await me(valid)).status).toBe(401);
    const cases: Array<[string, string]> = [
      ['expired', await forge({}, { exp: Math.floor(Date.now() / 1000) - 10 })],
      ['audience', await forge({}, { aud: 'https://other.example' })],
      ['issuer', await forge({}, { iss: 'https://other.example' })],
      ['invalid', await forge({}, { secret: 'another-secret-that-is-long-enough-too' })],
      [
        'invalid',
        new UnsecuredJWT({ scope: 'admin', sid: 'x' })
          .setSubject('admin')
          .setIssuer(t.url)
          .setAudience(t.url)
          .setIssuedAt()
          .setExpirationTime('1h')
          .encode(),
      ],
    ];
    for (const [why, token] of cases) {
      const res = await me(token);
      expect(res.status, why).toBe(401);
      expect(res.body.error.message, why).toContain(why === 'invalid' ? 'invalid' : why);
    }
  });

  it('rotates refresh tokens; a reused one revokes the whole session, access tokens included', async () => {
    const first = (await login('carol')).body;
    const second = (await call('POST', '/api/v1/auth/refresh', undefined, { refreshToken: first.refreshToken })).body;
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await me(second.accessToken)).status).toBe(200);
    const reuse = await call('POST', '/api/v1/auth/refresh', undefined, { refreshToken: first.refreshToken });
    expect(reuse.status).toBe(401);
    expect(reuse.body.error.message).toContain('already used');
    expect((await me(second.accessToken)).status).toBe(401);
    expect((await call('POST', '/api/v1/auth/refresh', undefined, { refreshToken: second.refreshToken })).status).toBe(
      401,
    );
    const audit = await t.json('GET', '/api/v1/audit?action=auth.refresh_reuse');
    expect(audit.body.entries[0]).toMatchObject({ userId: carolId, outcome: 'denied' });
  });

  it('logs out: the session and its access token stop working', async () => {
    const s = (await login('carol')).body;
    expect(
      (await call('POST', '/api/v1/auth/logout', s.accessToken, { refreshToken: s.refreshToken })).body.revoked,
    ).toBe(true);
    expect((await me(s.accessToken)).status).toBe(401);
    expect((await call('POST', '/api/v1/auth/refresh', undefined, { refreshToken: s.refreshToken })).status).toBe(401);
  });

  it('creates, lists (without secrets) and revokes personal access tokens, within the caller’s scopes', async () => {
    const s = (await login('carol')).body;
    const created = await call('POST', '/api/v1/tokens', s.accessToken, {
      name: 'ci',
      scopes: ['containers', 'files:read'],
      expiresInDays: 7,
    });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^disco_pat_/);
    expect((await me(created.body.token)).body).toMatchObject({ via: 'pat', scopes: ['containers', 'files:read'] });
    const list = await call('GET', '/api/v1/tokens', s.accessToken);
    expect(JSON.stringify(list.body)).not.toContain(created.body.token);
    expect(list.body.tokens[0]).toMatchObject({ name: 'ci', hint: expect.stringMatching(/^disco_pat_.{4}…$/) });
    expect(
      (await call('POST', '/api/v1/tokens', s.accessToken, { name: 'root', scopes: ['admin'] })).body.error.code,
    ).toBe('validation_failed');
    // A PAT cannot mint a broader PAT: scopes are capped by the caller's.
    const narrow = await call('POST', '/api/v1/tokens', created.body.token, { name: 'x' });
    expect(narrow.status).toBe(403);
    expect((await call('DELETE', `/api/v1/tokens/${created.body.id}`, s.accessToken)).body.revokedAt).toBeTruthy();
    expect((await me(created.body.token)).status).toBe(401);
  });

  it('lets an admin revoke every token of a user at once, and audits it', async () => {
    const s = (await login('carol')).body;
    const pat = (await call('POST', '/api/v1/tokens', s.accessToken, { name: 'script' })).body;
    const revoked = await t.json('POST', `/api/v1/users/${carolId}/revoke-tokens`, {});
    expect(revoked.status).toBe(200);
    expect(revoked.body.personalAccessTokens).toBeGreaterThanOrEqual(1);
    for (const token of [s.accessToken, pat.token]) expect((await me(token)).status).toBe(401);
    expect((await call('POST', '/api/v1/auth/refresh', undefined, { refreshToken: s.refreshToken })).status).toBe(401);
    // Carol can sign in again afterwards.
    expect((await me((await login('carol')).body.accessToken)).status).toBe(200);
    const audit = await t.json('GET', '/api/v1/audit?action=user_revoke_tokens');
    expect(audit.body.entries[0]).toMatchObject({
      action: 'user_revoke_tokens',
      outcome: 'ok',
      target: carolId,
      via: 'admin_token',
      ip: expect.any(String),
    });
  });

  it('audits sign-ins, token creation, exec and file deletes with who, what, when and from where', async () => {
    const s = (await login('carol')).body;
    const c = (await call('POST', '/api/v1/containers', s.accessToken, {})).body;
    await call('POST', '/api/v1/terminal/execute', s.accessToken, { container: c.id, command: ['true'] });
    await call('PUT', `/api/v1/containers/${c.id}/files/content`, s.accessToken, { path: 'x.txt', content: 'x' });
    await call('DELETE', `/api/v1/containers/${c.id}/files?path=x.txt`, s.accessToken);
    const entries = (await t.json('GET', `/api/v1/audit?user=${carolId}&limit=50`)).body.entries as Json[];
    const actions = entries.map((e) => e.action);
    for (const a of ['auth.login', 'token_create', 'exec', 'file_delete']) expect(actions).toContain(a);
    const exec = entries.find((e) => e.action === 'exec');
    expect(exec).toMatchObject({ target: c.id, outcome: 'ok', via: 'session', detail: { program: 'true' } });
    expect(exec.ip).toMatch(/127\.0\.0\.1/);
    const denied = (await t.json('GET', '/api/v1/audit?action=auth.login')).body.entries.filter(
      (e: Json) => e.outcome === 'denied',
    );
    expect(denied.map((e: Json) => e.target)).toContain('carol');
  });
});

describe('sign-in endpoints refuse malformed requests', () => {
  let t: TestDaemon;
  beforeAll(async () => {
    t = await startTestDaemon();
  });
  afterAll(() => t.stop());

  it('answers validation errors for bodies they cannot use', async () => {
    const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(`${t.url}/api/v1/auth/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Json };
    };
    for (const [path, body] of [
      ['login', {}],
      ['login', { username: 'a' }],
      ['login', { token: 'short' }],
      ['login', { username: 'a', password: 'b', extra: 1 }],
      ['refresh', {}],
      ['logout', {}],
    ] as const) {
      const r = await post(path, body);
      expect(r.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(r.body.error.code).toBe('validation_failed');
    }
    expect((await post('login', '{not json')).body.error.code).toBe('validation_failed');
    // A refresh token or a JWT is not something to log in with.
    expect((await post('login', { token: `disco_rt_${'x'.repeat(40)}` })).status).toBe(400);
    // Logout with only a (valid) bearer ends that session.
    const s = (await post('login', { token: t.token })).body;
    expect((await post('logout', {}, { authorization: `Bearer ${s.accessToken}` })).body.revoked).toBe(true);
  });
});

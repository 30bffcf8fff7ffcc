import { createSecretKey } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { decodeJwt, SignJWT, UnsecuredJWT } from 'jose';
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

  it('says what is wrong with a malformed sign-in body, not only the shapes it takes', async () => {
    // `disco login --token bogus` said only 'expected {"username","password"} or {"token"} (login), …'.
    const res = await call('POST', '/api/v1/auth/login', undefined, { token: 'bogus' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(
      'expected {"username","password"} or {"token"} (login), {"refreshToken"} (refresh, logout): token: Too small: expected string to have >=16 characters',
    );
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
    // A replay is detected whatever else it asks for (here a scope the session never had).
    const reuse = await call('POST', '/api/v1/auth/refresh', undefined, {
      refreshToken: first.refreshToken,
      scopes: ['admin'],
    });
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

  it('accepts a correctly signed token only with a live session, and never beyond what the user may hold', async () => {
    const s = (await login('carol')).body;
    const sid = decodeJwt(s.accessToken).sid as string;
    expect(sid).toBe(s.sessionId);
    // The forged token is accepted when it names a live session: the refusals above are for the one claim changed.
    expect((await me(await forge({ sid }))).body).toMatchObject({ via: 'session', scopes: ['containers'] });
    // A token that claims `admin` for a user who is not one carries no admin power.
    const claimsAdmin = await forge({ sid, scope: 'containers admin' });
    expect((await me(claimsAdmin)).body.scopes).toEqual(['containers']);
    expect((await call('GET', '/api/v1/users', claimsAdmin)).status).toBe(403);
    expect((await me(await forge({ sid }, { exp: Math.floor(Date.now() / 1000) - 1 }))).body.error.message).toBe(
      'access token expired',
    );
    const key = createSecretKey(Buffer.from(SECRET));
    const now = Math.floor(Date.now() / 1000);
    const full = { sub: carolId, jti: 'j2', iat: now, exp: now + 60, scope: 'containers', sid, iss: t.url, aud: t.url };
    for (const claim of Object.keys(full)) {
      const { [claim]: _left, ...rest } = full as Record<string, unknown>;
      const token = await new SignJWT(rest).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).sign(key);
      expect((await me(token)).status, `without ${claim}`).toBe(401);
    }
    // Only access tokens (typ at+jwt) are accepted as bearers, not other JWTs signed with the same key.
    const idToken = await new SignJWT(full).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(key);
    expect((await me(idToken)).status).toBe(401);
  });

  it('caps a session exchanged for a personal access token at that token’s scopes, through refreshes', async () => {
    const s = (await login('carol')).body;
    const pat = (
      await call('POST', '/api/v1/tokens', s.accessToken, { name: 'narrow', scopes: ['containers', 'files:read'] })
    ).body;
    const exchanged = await call('POST', '/api/v1/auth/login', undefined, { token: pat.token });
    expect(exchanged.status).toBe(200);
    expect(exchanged.body.scopes).toEqual(['containers', 'files:read']);
    const narrower = await call('POST', '/api/v1/auth/refresh', undefined, {
      refreshToken: exchanged.body.refreshToken,
      scopes: ['files:read'],
    });
    expect(narrower.body.scopes).toEqual(['files:read']);
    expect((await me(narrower.body.accessToken)).body.scopes).toEqual(['files:read']);
    // Refreshing again without naming scopes keeps the narrowed grant; it never widens back.
    const again = await call('POST', '/api/v1/auth/refresh', undefined, { refreshToken: narrower.body.refreshToken });
    expect(again.body.scopes).toEqual(['files:read']);
    expect((await call('POST', '/api/v1/containers', again.body.accessToken, {})).status).toBe(403);
    // Asking for more than the session holds is refused, not silently turned into a token with no scopes.
    const wider = await call('POST', '/api/v1/auth/refresh', undefined, {
      refreshToken: again.body.refreshToken,
      scopes: ['files:read', 'git'],
    });
    expect(wider.status).toBe(400);
    expect(wider.body.error.message).toContain('git');
    const nothing = await call('POST', '/api/v1/auth/login', undefined, { token: pat.token, scopes: ['git'] });
    expect(nothing.status).toBe(400);
    expect(nothing.body.error.code).toBe('validation_failed');
    // Revoking the PAT ends the sessions made from it: a leaked PAT cannot be laundered into a session.
    await call('DELETE', `/api/v1/tokens/${pat.id}`, s.accessToken);
    expect((await me(again.body.accessToken)).status).toBe(401);
    const after = await call('POST', '/api/v1/auth/refresh', undefined, { refreshToken: again.body.refreshToken });
    expect(after.status).toBe(401);
  });

  it('refuses a personal access token or a refresh token past its expiry', async () => {
    const s = (await login('carol')).body;
    const pat = (await call('POST', '/api/v1/tokens', s.accessToken, { name: 'short-lived', expiresInDays: 1 })).body;
    const expiresAt = Date.parse(pat.expiresAt);
    expect(expiresAt - Date.now()).toBeGreaterThan(86_300_000);
    expect((await me(pat.token)).status).toBe(200);
    // Time travel: the rows expire now instead of tomorrow (PATs) or in thirty days (refresh tokens).
    t.daemon.db.prepare('UPDATE access_tokens SET expires_at = ? WHERE id = ?').run(Date.now() - 1, pat.id);
    t.daemon.db
      .prepare('UPDATE refresh_tokens SET expires_at = ? WHERE family_id = ?')
      .run(Date.now() - 1, s.sessionId);
    const expired = await me(pat.token);
    expect(expired.status).toBe(401);
    expect(expired.body.error.message).toBe('token was revoked or has expired');
    const refresh = await call('POST', '/api/v1/auth/refresh', undefined, { refreshToken: s.refreshToken });
    expect(refresh.status).toBe(401);
    expect(refresh.body.error.message).toBe('refresh token expired');
  });

  it('cuts off an open MCP session the moment its token is revoked', async () => {
    const s = (await login('carol')).body;
    const pat = (await call('POST', '/api/v1/tokens', s.accessToken, { name: 'mcp' })).body;
    const clients = [];
    for (const token of [pat.token, s.accessToken]) {
      const client = new Client({ name: 'revocation', version: '1' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${t.url}/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${token}` } },
        }),
      );
      expect((await client.callTool({ name: 'auth_me', arguments: {} })).isError).toBeFalsy();
      clients.push(client);
    }
    const [byPat, bySession] = clients as [Client, Client];
    expect((await call('DELETE', `/api/v1/tokens/${pat.id}`, s.accessToken)).status).toBe(200);
    await expect(byPat.callTool({ name: 'auth_me', arguments: {} })).rejects.toThrow(/401|unauthorized/i);
    expect((await bySession.callTool({ name: 'auth_me', arguments: {} })).isError).toBeFalsy();
    expect((await call('POST', '/api/v1/auth/logout', s.accessToken, {})).body.revoked).toBe(true);
    await expect(bySession.callTool({ name: 'auth_me', arguments: {} })).rejects.toThrow(/401|unauthorized/i);
    for (const client of clients) await client.close().catch(() => {});
  });

  it('audits token revocation, sign-ins with their address, and git push; audit_list filters and pages', async () => {
    const s = (await login('carol')).body;
    const pat = (await call('POST', '/api/v1/tokens', s.accessToken, { name: 'to-revoke' })).body;
    await call('DELETE', `/api/v1/tokens/${pat.id}`, s.accessToken);
    const c = (await call('POST', '/api/v1/containers', s.accessToken, { name: 'audited' })).body;
    // No repository there: the push fails, and the attempt is on record all the same.
    const push = await call('POST', `/api/v1/containers/${c.id}/git/push`, s.accessToken, { remote: 'origin' });
    expect(push.status).toBeGreaterThanOrEqual(400);
    const list = async (query: string) => (await t.json('GET', `/api/v1/audit?${query}`)).body.entries as Json[];
    expect((await list(`action=token_revoke&user=${carolId}`))[0]).toMatchObject({
      target: pat.id,
      outcome: 'ok',
      via: 'session',
    });
    expect((await list(`action=git_push&user=${carolId}`))[0]).toMatchObject({
      target: `${c.id}:.`,
      outcome: 'failed',
      detail: { remote: 'origin', error: push.body.error.code },
    });
    const signIn = (await list(`action=auth.login&user=${carolId}`))[0];
    expect(signIn).toMatchObject({ outcome: 'ok', via: 'password', ip: expect.stringMatching(/127\.0\.0\.1/) });
    // Newest first; `before` continues where a page ended, `limit` bounds it, filters combine.
    const all = await list(`user=${carolId}&limit=500`);
    expect(all.length).toBeGreaterThan(6);
    expect(all.every((e) => e.userId === carolId)).toBe(true);
    const ids = all.map((e) => e.id);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
    const first = await list(`user=${carolId}&limit=3`);
    const second = await list(`user=${carolId}&limit=3&before=${first[2].id}`);
    expect([...first, ...second].map((e) => e.id)).toEqual(ids.slice(0, 6));
    expect(await list('user=usr_nobody')).toEqual([]);
    expect((await t.json('GET', '/api/v1/audit?limit=0')).body.error.code).toBe('validation_failed');
  });

  it('changes a password: the current one is required and checked, the new one follows the rules', async () => {
    const s = (await login('carol')).body;
    const change = (body: unknown) => call('PUT', '/api/v1/auth/password', s.accessToken, body);
    expect((await change({ newPassword: 'a brand new password' })).body.error.code).toBe('validation_failed');
    const wrong = await change({ currentPassword: 'not the password', newPassword: 'a brand new password' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('unauthorized');
    expect((await change({ currentPassword: PASSWORD, newPassword: 'short' })).body.error.code).toBe(
      'validation_failed',
    );
    expect((await change({ currentPassword: PASSWORD, newPassword: 'a brand new password' })).body).toEqual({
      changed: true,
    });
    expect((await login('carol')).status).toBe(401);
    expect((await login('carol', 'a brand new password')).status).toBe(200);
    const audit = (await t.json('GET', `/api/v1/audit?action=password_change&user=${carolId}`)).body.entries;
    expect(audit.map((e: Json) => `${e.outcome} ${e.detail?.error ?? ''}`.trim())).toEqual([
      'ok',
      'failed validation_failed',
      'failed unauthorized',
      'failed validation_failed',
    ]);
    expect(JSON.stringify(audit)).not.toContain('brand new');
  }, 60_000);
});

import { createSecretKey } from 'node:crypto';
import { readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  decodeProtectedHeader,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTHeaderParameters,
  SignJWT,
  UnsecuredJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon, tempDir } from '../helpers/daemon.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
type Json = any;

describe('access tokens signed with the daemon’s own Ed25519 key', () => {
  let t: TestDaemon;
  let session: Json;
  let jwk: JWK;
  const me = async (token: string) => {
    const res = await fetch(`${t.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const claims = () => {
    const now = Math.floor(Date.now() / 1000);
    return { sub: 'admin', jti: 'j', iat: now, exp: now + 60, scope: 'containers', sid: session.sessionId };
  };
  const signed = (header: JWTHeaderParameters, key: Parameters<SignJWT['sign']>[0], payload = claims()) =>
    new SignJWT(payload).setProtectedHeader(header).setIssuer(t.url).setAudience(t.url).sign(key);

  let home = '';
  /** The bootstrap token in force (startTestDaemon's own is not, once a restart sets DISCO_ADMIN_TOKEN). */
  let admin = '';

  beforeAll(async () => {
    home = await tempDir();
    t = await startTestDaemon({ DISCO_HOME: home });
    const res = await t.request('POST', '/api/v1/auth/login', { auth: false, body: { token: t.token } });
    session = await res.json();
    jwk = JSON.parse(await readFile(path.join(home, 'keys', 'jwt-signing.json'), 'utf8'));
  });
  afterAll(async () => {
    await t.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('generates the key pair into $DISCO_HOME/keys, readable by the daemon’s user only', async () => {
    expect((await stat(path.join(home, 'keys'))).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(home, 'keys', 'jwt-signing.json'))).mode & 0o777).toBe(0o600);
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', d: expect.any(String) });
    expect(decodeProtectedHeader(session.accessToken)).toMatchObject({ alg: 'EdDSA', kid: jwk.kid, typ: 'at+jwt' });
  });

  it('accepts its own signature and refuses another key’s, HS256 keyed with its public key, and none', async () => {
    const own = await importJWK(jwk, 'EdDSA');
    expect((await me(await signed({ alg: 'EdDSA', typ: 'at+jwt', kid: jwk.kid }, own))).body.via).toBe('session');
    const other = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const publicBytes = Buffer.from(jwk.x as string, 'base64url');
    const { d: _private, ...publicJwk } = jwk;
    const refused = [
      await signed({ alg: 'EdDSA', typ: 'at+jwt', kid: jwk.kid }, other.privateKey),
      // Algorithm confusion: the public key used as an HMAC secret must not verify.
      await signed({ alg: 'HS256', typ: 'at+jwt', kid: jwk.kid }, createSecretKey(publicBytes)),
      await signed(
        { alg: 'HS256', typ: 'at+jwt', kid: jwk.kid },
        createSecretKey(Buffer.from(JSON.stringify(publicJwk))),
      ),
      new UnsecuredJWT(claims()).setIssuer(t.url).setAudience(t.url).encode(),
    ];
    for (const token of refused) {
      const res = await me(token);
      expect(res.status).toBe(401);
      expect(res.body.error.message).toMatch(/^invalid (access|bearer) token$/);
    }
  });

  /** Restarts on the same home and port (the issuer and audience, the public URL, stay what they were). */
  const restart = async (adminToken: string) => {
    const port = String(t.daemon.port);
    await t.stop();
    t = await startTestDaemon({ DISCO_HOME: home, DISCO_PORT: port, DISCO_ADMIN_TOKEN: adminToken });
  };

  it('keeps its key across a restart: sessions from before go on', async () => {
    admin = t.token;
    await restart(admin);
    expect(JSON.parse(await readFile(path.join(home, 'keys', 'jwt-signing.json'), 'utf8'))).toEqual(jwk);
    const res = await t.request('POST', '/api/v1/auth/refresh', {
      auth: false,
      body: { refreshToken: session.refreshToken },
    });
    expect(res.status).toBe(200);
    const pair = (await res.json()) as Json;
    expect(decodeProtectedHeader(pair.accessToken).kid).toBe(jwk.kid);
    expect((await me(pair.accessToken)).body.user.name).toBe('admin');
    session = pair;
  });

  it('revokes the previous bootstrap token, and the sessions exchanged for it, when the token changes', async () => {
    const old = admin;
    expect((await me(old)).status).toBe(200);
    admin = `rotated-${old}`;
    await restart(admin);
    expect((await me(admin)).body.via).toBe('admin_token');
    expect((await me(old)).status).toBe(401);
    expect((await me(session.accessToken)).status).toBe(401);
    const refresh = await t.request('POST', '/api/v1/auth/refresh', {
      auth: false,
      body: { refreshToken: session.refreshToken },
    });
    expect(refresh.status).toBe(401);
    const list = await fetch(`${t.url}/api/v1/tokens`, { headers: { authorization: `Bearer ${admin}` } });
    const tokens = ((await list.json()) as Json).tokens as Json[];
    expect(tokens).toHaveLength(2);
    expect(tokens.filter((x) => x.kind === 'bootstrap').map((x) => x.revokedAt === null)).toEqual([false, true]);
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

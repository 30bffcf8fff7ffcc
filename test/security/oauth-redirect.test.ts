import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const PASSWORD = 'correct horse battery';
const REGISTERED = 'http://127.0.0.1:5000/cb';

let t: TestDaemon;
let clientId: string;
beforeAll(async () => {
  t = await startTestDaemon();
  await t.json('POST', '/api/v1/users', { name: 'alice', password: PASSWORD });
  const res = await fetch(`${t.url}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ redirect_uris: [REGISTERED], token_endpoint_auth_method: 'none' }),
  });
  clientId = ((await res.json()) as { client_id: string }).client_id;
});
afterAll(() => t.stop());

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

const authorize = (redirectUri: string, challenge = pkce().challenge) =>
  fetch(
    `${t.url}/oauth/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      state: 's',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    })}`,
    { redirect: 'manual' },
  );

describe('loopback redirect URIs match exactly apart from the port (RFC 8252 §7.3)', () => {
  for (const uri of [
    `${REGISTERED}?x=1`,
    `${REGISTERED}#f`,
    `${REGISTERED}?`,
    'http://127.0.0.1:5000/cb/',
    'http://127.0.0.1:5000/CB',
    'http://localhost:5000/cb',
    'http://[::1]:5000/cb',
    'https://127.0.0.1:5000/cb',
    'http://user@127.0.0.1:5000/cb',
  ]) {
    it(`refuses ${uri} at authorize, without redirecting there`, async () => {
      const res = await authorize(uri);
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
    });
  }

  for (const uri of [REGISTERED, 'http://127.0.0.1:6000/cb', 'http://127.0.0.1/cb']) {
    it(`accepts ${uri}`, async () => {
      const res = await authorize(uri);
      expect(res.status).toBe(200);
    });
  }

  it('the token endpoint wants the very redirect URI of the authorization', async () => {
    const { verifier, challenge } = pkce();
    const page = await (await authorize('http://127.0.0.1:6000/cb', challenge)).text();
    const request = /name="request" value="([^"]+)"/.exec(page)?.[1] as string;
    const answer = await fetch(`${t.url}/oauth/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: t.url },
      body: new URLSearchParams({ request, username: 'alice', password: PASSWORD, action: 'approve' }).toString(),
      redirect: 'manual',
    });
    const code = new URL(answer.headers.get('location') as string).searchParams.get('code') as string;
    const token = (redirectUri: string) =>
      fetch(`${t.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirectUri,
          client_id: clientId,
          code_verifier: verifier,
        }).toString(),
      });
    const bad = await token('http://127.0.0.1:6000/cb?x=1');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe('invalid_grant');
  });
});

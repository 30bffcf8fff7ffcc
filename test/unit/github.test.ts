import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GITHUB_SCOPE,
  type GithubEndpoints,
  githubAuthorizeUrl,
  githubExchangeCode,
  githubUser,
} from '../../src/daemon/auth/github.js';
import { DiscoError } from '../../src/daemon/errors.js';
import { type GithubStandin, startGithubStandin } from '../helpers/github-standin.js';

const octo = { id: 583231, login: 'octo', name: 'The Octocat', email: 'octo@example.com' };
const REDIRECT = 'http://127.0.0.1:7419/api/v1/auth/github/callback';

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

/** What a caught error is, checking it is typed and names no secret. */
async function failure(p: Promise<unknown>, secrets: string[]): Promise<DiscoError> {
  const err = await p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DiscoError);
  for (const s of secrets) expect((err as DiscoError).message).not.toContain(s);
  return err as DiscoError;
}

describe('GitHub OAuth client against the stand-in (real HTTP)', () => {
  let gh: GithubStandin;
  let endpoints: GithubEndpoints;
  beforeAll(async () => {
    gh = await startGithubStandin({ user: octo });
    endpoints = { webUrl: gh.url, apiUrl: gh.apiUrl, clientId: gh.clientId, clientSecret: gh.clientSecret };
  });
  afterAll(() => gh.close());

  /** Plays the person approving at GitHub: follows the authorize URL to the redirect with code and state. */
  async function approve(p = pkce(), state = randomBytes(16).toString('base64url')) {
    const url = githubAuthorizeUrl(endpoints, { redirectUri: REDIRECT, state, codeChallenge: p.challenge });
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get('location') as string);
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe(state);
    return { code: back.searchParams.get('code') as string, ...p };
  }

  it('builds the authorize URL with state, PKCE S256 and the scope', () => {
    const url = new URL(
      githubAuthorizeUrl(endpoints, { redirectUri: REDIRECT, state: 'st4te', codeChallenge: 'ch4llenge' }),
    );
    expect(`${url.origin}${url.pathname}`).toBe(`${gh.url}/login/oauth/authorize`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: gh.clientId,
      redirect_uri: REDIRECT,
      state: 'st4te',
      code_challenge: 'ch4llenge',
      code_challenge_method: 'S256',
      scope: GITHUB_SCOPE,
    });
    expect(url.searchParams.has('client_secret')).toBe(false);
  });

  it('runs the web flow: authorize, exchange the code with its verifier, read the user', async () => {
    const { code, verifier } = await approve();
    const { accessToken, scope } = await githubExchangeCode(endpoints, {
      code,
      redirectUri: REDIRECT,
      codeVerifier: verifier,
    });
    expect(gh.tokens.get(accessToken)).toEqual(octo);
    expect(scope).toContain('repo');
    expect(await githubUser(endpoints, accessToken)).toEqual(octo);
  });

  it('signs in whoever is signed in at GitHub when they approve', async () => {
    const hubot = { id: 7, login: 'hubot' };
    gh.signedIn = hubot;
    try {
      const { code, verifier } = await approve();
      const { accessToken } = await githubExchangeCode(endpoints, {
        code,
        redirectUri: REDIRECT,
        codeVerifier: verifier,
      });
      expect(await githubUser(endpoints, accessToken)).toEqual({ ...hubot, name: null, email: null });
    } finally {
      gh.signedIn = octo;
    }
  });

  it('refuses an unknown code (200 with bad_verification_code) as unauthorized', async () => {
    const { verifier } = await approve();
    const err = await failure(
      githubExchangeCode(endpoints, { code: 'not-a-code', redirectUri: REDIRECT, codeVerifier: verifier }),
      [gh.clientSecret, verifier],
    );
    expect(err.code).toBe('unauthorized');
    expect(err.message).toContain('bad_verification_code');
  });

  it('refuses the code with the wrong PKCE verifier, and the code stays unspent', async () => {
    const { code, verifier } = await approve();
    const wrong = pkce().verifier;
    const err = await failure(githubExchangeCode(endpoints, { code, redirectUri: REDIRECT, codeVerifier: wrong }), [
      gh.clientSecret,
      wrong,
    ]);
    expect(err.code).toBe('unauthorized');
    expect(err.message).toContain('bad_verification_code');
    const ok = await githubExchangeCode(endpoints, { code, redirectUri: REDIRECT, codeVerifier: verifier });
    expect(gh.tokens.has(ok.accessToken)).toBe(true);
  });

  it('refuses a code spent once already', async () => {
    const { code, verifier } = await approve();
    await githubExchangeCode(endpoints, { code, redirectUri: REDIRECT, codeVerifier: verifier });
    const err = await failure(githubExchangeCode(endpoints, { code, redirectUri: REDIRECT, codeVerifier: verifier }), [
      gh.clientSecret,
    ]);
    expect(err.code).toBe('unauthorized');
  });

  it('refuses a code redeemed for another redirect URI', async () => {
    const { code, verifier } = await approve();
    const err = await failure(
      githubExchangeCode(endpoints, { code, redirectUri: 'http://127.0.0.1:1/elsewhere', codeVerifier: verifier }),
      [gh.clientSecret],
    );
    expect(err.code).toBe('unauthorized');
  });

  it('refuses a wrong client secret without echoing it', async () => {
    const { code, verifier } = await approve();
    const wrongSecret = randomBytes(20).toString('hex');
    const err = await failure(
      githubExchangeCode(
        { ...endpoints, clientSecret: wrongSecret },
        { code, redirectUri: REDIRECT, codeVerifier: verifier },
      ),
      [wrongSecret, gh.clientSecret, code],
    );
    expect(err.code).toBe('unauthorized');
    expect(err.message).toContain('incorrect_client_credentials');
  });

  it('refuses a token GitHub does not know, without echoing it', async () => {
    const token = `gho_${randomBytes(18).toString('hex')}`;
    const err = await failure(githubUser(endpoints, token), [token]);
    expect(err.code).toBe('unauthorized');
  });

  it('sends the API headers GitHub documents', async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const api = http.createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 1, login: 'x' }));
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    try {
      const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/api/v3`;
      expect(await githubUser({ ...endpoints, apiUrl }, 'tok')).toEqual({ id: 1, login: 'x', name: null, email: null });
      expect(seen[0]).toMatchObject({
        accept: 'application/vnd.github+json',
        authorization: 'Bearer tok',
        'x-github-api-version': expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
        'user-agent': expect.any(String),
      });
    } finally {
      api.closeAllConnections();
      await new Promise((resolve) => api.close(resolve));
    }
  });

  it('answers unavailable when GitHub cannot be reached', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const down = { ...endpoints, webUrl: `http://127.0.0.1:${port}`, apiUrl: `http://127.0.0.1:${port}` };
    const ex = await failure(githubExchangeCode(down, { code: 'c', redirectUri: REDIRECT, codeVerifier: 'v' }), [
      gh.clientSecret,
    ]);
    expect(ex.code).toBe('unavailable');
    const user = await failure(githubUser(down, 'gho_secret'), ['gho_secret']);
    expect(user.code).toBe('unavailable');
  });
});

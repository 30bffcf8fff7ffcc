import { DiscoError } from '../errors.js';

export interface GithubEndpoints {
  /** Web base, e.g. https://github.com (or a GitHub Enterprise host). */
  webUrl: string;
  /** API base, e.g. https://api.github.com. */
  apiUrl: string;
  clientId: string;
  clientSecret: string;
}

export interface GithubUser {
  id: number;
  login: string;
  name: string | null;
  email: string | null;
}

const TIMEOUT_MS = 10_000;
/** What Disco asks GitHub for: the profile, and repositories for clone and push. */
export const GITHUB_SCOPE = 'read:user user:email repo';

/** GitHub's web flow: the authorize URL (with `state` and PKCE S256). */
export function githubAuthorizeUrl(
  gh: GithubEndpoints,
  p: { redirectUri: string; state: string; codeChallenge: string },
): string {
  const u = new URL('/login/oauth/authorize', gh.webUrl);
  u.searchParams.set('client_id', gh.clientId);
  u.searchParams.set('redirect_uri', p.redirectUri);
  u.searchParams.set('state', p.state);
  u.searchParams.set('scope', GITHUB_SCOPE);
  u.searchParams.set('code_challenge', p.codeChallenge);
  u.searchParams.set('code_challenge_method', 'S256');
  u.searchParams.set('allow_signup', 'false');
  return u.href;
}

const unavailable = (what: string) => new DiscoError('unavailable', `GitHub ${what} could not be reached`);

/** Exchanges the code (GitHub answers errors with 200 and an `error` field); never echoes a secret. */
export async function githubExchangeCode(
  gh: GithubEndpoints,
  p: { code: string; redirectUri: string; codeVerifier: string },
): Promise<{ accessToken: string; scope: string }> {
  let res: Response;
  try {
    res = await fetch(new URL('/login/oauth/access_token', gh.webUrl), {
      method: 'POST',
      headers: {
        accept: 'application/json',
        'content-type': 'application/x-www-form-urlencoded',
        'user-agent': 'disco',
      },
      body: new URLSearchParams({
        client_id: gh.clientId,
        client_secret: gh.clientSecret,
        code: p.code,
        redirect_uri: p.redirectUri,
        code_verifier: p.codeVerifier,
      }).toString(),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch {
    throw unavailable('sign-in');
  }
  if (res.status >= 500) throw unavailable('sign-in');
  const body = (await res.json().catch(() => ({}))) as {
    access_token?: string;
    scope?: string;
    error?: string;
    error_description?: string;
  };
  if (!res.ok || !body.access_token) {
    const why = body.error
      ? `${body.error}${body.error_description ? `: ${body.error_description}` : ''}`
      : `HTTP ${res.status}`;
    throw new DiscoError('unauthorized', `GitHub refused the sign-in (${why})`);
  }
  return { accessToken: body.access_token, scope: body.scope ?? '' };
}

/** The signed-in GitHub account (GET /user). */
export async function githubUser(gh: GithubEndpoints, token: string): Promise<GithubUser> {
  let res: Response;
  try {
    res = await fetch(new URL('user', `${gh.apiUrl}/`), {
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${token}`,
        'x-github-api-version': '2022-11-28',
        'user-agent': 'disco',
      },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch {
    throw unavailable('API');
  }
  if (res.status >= 500) throw unavailable('API');
  if (!res.ok) throw new DiscoError('unauthorized', `GitHub did not accept the token (HTTP ${res.status})`);
  const u = (await res.json().catch(() => ({}))) as Partial<GithubUser>;
  if (typeof u.id !== 'number' || typeof u.login !== 'string')
    throw new DiscoError('unavailable', 'GitHub answered an unexpected user');
  return { id: u.id, login: u.login, name: u.name ?? null, email: u.email ?? null };
}

import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, DaemonUnreachableError } from './client.js';

/** The CLI's public OAuth client on every daemon (loopback redirect, PKCE; RFC 8252). */
export const CLI_CLIENT_ID = 'disco-cli';
export const CLI_SCOPES = 'containers files:read files:write exec git account admin';

export interface OAuthTokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  scope: string;
}

const DONE_PAGE = (ok: boolean, text: string) =>
  `<!doctype html><meta charset="utf-8"><title>Disco</title><body style="font:16px system-ui;margin:15vh auto;max-width:28em">` +
  `<h2>${ok ? 'Signed in' : 'Sign-in failed'}</h2><p>${text}</p></body>`;

/**
 * Signs in through the browser like `gh auth login`: a one-shot HTTP listener on 127.0.0.1 receives the
 * authorization code; PKCE and `state` bind it to this process. `show` prints the URL (and may open it).
 */
export async function browserLogin(
  baseUrl: string,
  show: (url: string) => void,
  opts: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<OAuthTokens> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const state = randomBytes(16).toString('base64url');
  let settle: (r: { code: string } | { error: string }) => void = () => {};
  const result = new Promise<{ code: string } | { error: string }>((resolve) => {
    settle = resolve;
  });
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (u.pathname !== '/callback') {
      res.writeHead(404).end();
      return;
    }
    const error = u.searchParams.get('error');
    const code = u.searchParams.get('code');
    const okState = u.searchParams.get('state') === state;
    const iss = u.searchParams.get('iss');
    const failure = !okState
      ? 'state mismatch (a stale or forged callback)'
      : iss !== null && iss !== baseUrl
        ? `issuer mismatch (${iss})`
        : error
          ? `${error}: ${u.searchParams.get('error_description') ?? ''}`.trim()
          : !code
            ? 'no authorization code'
            : undefined;
    res.writeHead(failure ? 400 : 200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(
      DONE_PAGE(
        !failure,
        failure ? `Disco could not sign you in: ${failure}.` : 'You can close this tab and return to the terminal.',
      ),
    );
    if (okState) settle(failure ? { error: failure } : { code: code as string });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
  const authorize = new URL('/oauth/authorize', baseUrl);
  for (const [k, v] of Object.entries({
    response_type: 'code',
    client_id: CLI_CLIENT_ID,
    redirect_uri: redirectUri,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
    scope: CLI_SCOPES,
    resource: baseUrl,
  })) {
    authorize.searchParams.set(k, v);
  }
  const timer = setTimeout(() => settle({ error: 'timed out waiting for the browser' }), opts.timeoutMs ?? 5 * 60_000);
  const onAbort = () => settle({ error: 'cancelled' });
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    show(authorize.href);
    const outcome = await result;
    if ('error' in outcome) throw new ApiError('login_failed', outcome.error, 401);
    return await exchange(baseUrl, {
      grant_type: 'authorization_code',
      code: outcome.code,
      code_verifier: verifier,
      redirect_uri: redirectUri,
      client_id: CLI_CLIENT_ID,
      resource: baseUrl,
    });
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    server.closeAllConnections();
    server.close();
  }
}

/** POST /oauth/token (form-encoded) for the CLI's client; OAuth errors become ApiErrors. */
export async function exchange(baseUrl: string, form: Record<string, string>): Promise<OAuthTokens> {
  let res: Response;
  try {
    res = await fetch(new URL('/oauth/token', baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    throw new DaemonUnreachableError(baseUrl, cause?.code);
  }
  const body = (await res.json().catch(() => ({}))) as Partial<OAuthTokens> & {
    error?: string;
    error_description?: string;
  };
  if (!res.ok || !body.access_token || !body.refresh_token) {
    throw new ApiError(
      body.error ?? 'login_failed',
      body.error_description ?? `token endpoint answered ${res.status}`,
      res.status === 200 ? 502 : res.status,
    );
  }
  return body as OAuthTokens;
}

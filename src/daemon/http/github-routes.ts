import { createHash, randomBytes } from 'node:crypto';
import { type Request, type Response, Router } from 'express';
import { type GithubEndpoints, githubAuthorizeUrl, githubExchangeCode, githubUser } from '../auth/github.js';
import type { AuthorizationServer } from '../auth/oauth/server.js';
import { bearerOf, publicBaseUrl, realmFor } from '../auth/realm.js';
import { secretDigest } from '../auth/secrets.js';
import type { AuthService } from '../auth/service.js';
import type { Config } from '../config.js';
import { DiscoError, NotFoundError } from '../errors.js';
import { consentPage, errorPage, sendPage } from './pages/consent.js';
import { escapeHtml } from './pages/html.js';

interface GithubState {
  verifier: string;
  /** The OAuth authorization request this sign-in serves (the consent page continues it). */
  requestId?: string;
  /** Link the GitHub account to this signed-in user instead of signing in. */
  linkUserId?: string;
}

const STATE_TTL_MS = 10 * 60_000;
export const GITHUB_START_PATH = '/api/v1/auth/github';

/**
 * "Sign in with GitHub": the web flow with `state` and PKCE. It serves the consent page of an OAuth
 * authorization (ChatGPT, the CLI), a plain sign-in (answers a session as JSON), or linking GitHub to a
 * signed-in user (for git over https with their token).
 */
export function githubRoutes(deps: { auth: AuthService; as: AuthorizationServer; config: Config }): Router {
  const { auth, as, config } = deps;
  const router = Router();
  const endpoints = (): GithubEndpoints => {
    if (!config.githubClientId || !config.githubClientSecret) {
      throw new NotFoundError('GitHub sign-in (set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET to enable it)');
    }
    return {
      webUrl: config.githubUrl,
      apiUrl: config.githubApiUrl,
      clientId: config.githubClientId,
      clientSecret: config.githubClientSecret,
    };
  };
  const callbackUrl = (req: Request) => `${publicBaseUrl(req, config)}${GITHUB_START_PATH}/callback`;

  const start = (req: Request, state: GithubState): string => {
    const gh = endpoints();
    const id = randomBytes(32).toString('base64url');
    as.grants.put(secretDigest(id), 'github_state', state, STATE_TTL_MS);
    const codeChallenge = createHash('sha256').update(state.verifier).digest('base64url');
    return githubAuthorizeUrl(gh, { redirectUri: callbackUrl(req), state: id, codeChallenge });
  };

  router.get('/', (req: Request, res: Response) => {
    const requestId = typeof req.query.request === 'string' ? req.query.request : undefined;
    if (requestId && !as.pending(requestId)) {
      return sendPage(
        res,
        400,
        'Expired',
        errorPage('This sign-in request has expired; start again from the application.'),
      );
    }
    res.redirect(
      302,
      start(req, { verifier: randomBytes(32).toString('base64url'), ...(requestId ? { requestId } : {}) }),
    );
  });

  // Linking needs to know who is asking: a bearer token, so this one is a POST answering the URL to open.
  router.post('/link', async (req: Request, res: Response) => {
    const token = bearerOf(req.get('authorization'));
    if (!token) throw new DiscoError('unauthorized', 'a bearer token is required to link a GitHub account');
    const principal = await auth.authenticate(token, realmFor(publicBaseUrl(req, config), 'rest'));
    res.json({ url: start(req, { verifier: randomBytes(32).toString('base64url'), linkUserId: principal.userId }) });
  });

  router.get('/callback', async (req: Request, res: Response) => {
    const stateId = typeof req.query.state === 'string' ? req.query.state : '';
    const state = as.grants.take<GithubState>(secretDigest(stateId), 'github_state');
    if (!state)
      return sendPage(
        res,
        400,
        'Expired',
        errorPage('This GitHub sign-in has expired or was already used; start again.'),
      );
    if (typeof req.query.error === 'string') {
      return sendPage(res, 400, 'Cancelled', errorPage(`GitHub did not sign you in (${req.query.error}).`));
    }
    const gh = endpoints();
    const meta = { ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null };
    try {
      const { accessToken } = await githubExchangeCode(gh, {
        code: typeof req.query.code === 'string' ? req.query.code : '',
        redirectUri: callbackUrl(req),
        codeVerifier: state.verifier,
      });
      const ghUser = await githubUser(gh, accessToken);
      const user = auth.github.signInWithGithub(ghUser, accessToken, config.githubAllowedUsers, state.linkUserId);
      auth.audit({
        userId: user.id,
        action: state.linkUserId ? 'auth.github_link' : 'auth.login',
        target: ghUser.login,
        outcome: 'ok',
        via: 'github',
        ...meta,
        detail: null,
      });
      if (state.requestId) {
        const pending = as.pending(state.requestId);
        if (!pending)
          return sendPage(
            res,
            400,
            'Expired',
            errorPage('The sign-in request expired while you were at GitHub; start again.'),
          );
        const consentId = as.issueConsent(state.requestId, user.id);
        return sendPage(
          res,
          200,
          'Allow access',
          consentPage({
            requestId: state.requestId,
            clientName: pending.clientName,
            clientId: pending.clientId,
            redirectHost: new URL(pending.redirectUri).host,
            scopes: pending.scopes,
            signedInAs: { name: `${user.name} (GitHub: ${ghUser.login})`, consentId },
          }),
          [new URL(pending.redirectUri).origin],
        );
      }
      if (state.linkUserId)
        return sendPage(
          res,
          200,
          'Linked',
          `<h1>GitHub linked</h1><p>Disco can now use ${escapeHtml(ghUser.login)}'s repositories. You can close this tab.</p>`,
        );
      const pair = await auth.startSession(user, undefined, realmFor(publicBaseUrl(req, config), 'rest'));
      res.setHeader('Cache-Control', 'no-store');
      res.json(pair);
    } catch (err) {
      auth.audit({
        userId: null,
        action: 'auth.login',
        target: null,
        outcome: 'denied',
        via: 'github',
        ...meta,
        detail: { error: err instanceof DiscoError ? err.code : 'internal' },
      });
      if (err instanceof DiscoError && err.status < 500)
        return sendPage(res, err.status, 'Refused', errorPage(err.message));
      throw err;
    }
  });
  return router;
}

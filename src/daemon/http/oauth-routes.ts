import express, { type NextFunction, type Request, type Response, Router } from 'express';
import { OAuthRequestError } from '../auth/oauth/clients.js';
import { type AuthorizationServer, AuthorizePageError, type ClientCredentials } from '../auth/oauth/server.js';
import { publicBaseUrl } from '../auth/realm.js';
import type { AuthService } from '../auth/service.js';
import type { Config } from '../config.js';
import type { UserRow } from '../db/users-repo.js';
import { DiscoError } from '../errors.js';
import type { Logger } from '../log.js';
import { consentPage, errorPage, sendPage } from './pages/consent.js';

export interface OAuthRouteDeps {
  as: AuthorizationServer;
  auth: AuthService;
  config: Config;
  log: Logger;
  /** Where "Sign in with GitHub" starts for a pending request, when GitHub is configured. */
  githubStart?: (requestId: string) => string;
  /** Rate limiter for sign-in and token endpoints. */
  limiter: express.RequestHandler;
}

const origin = (uri: string) => {
  try {
    return new URL(uri).origin;
  } catch {
    return '';
  }
};

/**
 * Client credentials from the body (client_secret_post, or an RFC 7523 assertion for private_key_jwt) or a
 * Basic header (client_secret_basic).
 */
function clientCredentials(req: Request): ClientCredentials {
  const basic = /^Basic\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
  if (basic) {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i > 0) {
      return { id: decodeURIComponent(decoded.slice(0, i)), secret: decodeURIComponent(decoded.slice(i + 1)) };
    }
  }
  const body = (req.body ?? {}) as Record<string, unknown>;
  return {
    ...(typeof body.client_id === 'string' ? { id: body.client_id } : {}),
    ...(typeof body.client_secret === 'string' ? { secret: body.client_secret } : {}),
    ...(typeof body.client_assertion === 'string' ? { assertion: body.client_assertion } : {}),
    ...(typeof body.client_assertion_type === 'string' ? { assertionType: body.client_assertion_type } : {}),
  };
}

/** A body-parser failure the client caused (too large, not JSON, …), as an OAuth error; else undefined. */
function fromBodyParser(err: unknown): { status: number; description: string } | undefined {
  const e = err as { type?: unknown; status?: unknown; limit?: unknown };
  if (typeof e?.type !== 'string' || typeof e.status !== 'number' || e.status >= 500) return undefined;
  if (e.type === 'entity.too.large')
    return { status: 413, description: `request body is over the ${e.limit} byte limit` };
  if (e.type === 'entity.parse.failed') return { status: 400, description: 'request body is not valid JSON' };
  if (e.type === 'parameters.too.many') return { status: 413, description: 'too many form parameters' };
  return { status: e.status === 415 ? 415 : 400, description: 'unreadable request body' };
}

/** JSON endpoints answer OAuth's own error shape (RFC 6749 §5.2), never HTML. */
function oauthErrors(log: Logger) {
  return (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    res.setHeader('Cache-Control', 'no-store');
    const parser = fromBodyParser(err);
    if (parser) {
      res.status(parser.status).json({ error: 'invalid_request', error_description: parser.description });
      return;
    }
    if (err instanceof OAuthRequestError) {
      if (err.httpStatus === 401) res.setHeader('WWW-Authenticate', 'Basic realm="disco"');
      res.status(err.httpStatus).json(err.toOAuth());
      return;
    }
    if (err instanceof DiscoError && err.status < 500) {
      res.status(err.status === 429 ? 429 : 400).json({ error: 'invalid_request', error_description: err.message });
      return;
    }
    log.error({ err }, 'oauth endpoint failed');
    res.status(500).json({ error: 'server_error', error_description: 'internal error' });
  };
}

/**
 * The OAuth 2.1 authorization server over HTTP: discovery (RFC 8414, RFC 9728), the sign-in and consent
 * page, token, dynamic registration (RFC 7591) and revocation (RFC 7009).
 */
export function oauthRoutes(deps: OAuthRouteDeps): Router {
  const { as, auth, config, log } = deps;
  const router = Router();
  const base = (req: Request) => publicBaseUrl(req, config);
  const json = (res: Response, body: unknown) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.json(body);
  };

  for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    router.get(path, (req, res) => json(res, as.metadata(base(req))));
  }
  router.get('/.well-known/oauth-protected-resource', (req, res) =>
    json(res, as.resourceMetadata(base(req), base(req))),
  );
  for (const sub of ['mcp', 'api/v1']) {
    router.get(`/.well-known/oauth-protected-resource/${sub}`, (req, res) =>
      json(res, as.resourceMetadata(base(req), `${base(req)}/${sub}`)),
    );
  }

  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 });
  const formOrJson = [form, express.json({ limit: '64kb' })];

  const showConsent = (
    res: Response,
    requestId: string,
    status = 200,
    error?: string,
    signedIn?: { name: string; consentId: string },
  ) => {
    const pending = as.pending(requestId);
    if (!pending)
      return sendPage(res, 400, 'Expired', errorPage('This sign-in request has expired or was already answered.'));
    sendPage(
      res,
      status,
      'Sign in',
      consentPage({
        requestId,
        clientName: pending.clientName,
        clientId: pending.clientId,
        redirectHost: new URL(pending.redirectUri).host,
        scopes: pending.scopes,
        ...(deps.githubStart ? { githubUrl: deps.githubStart(requestId) } : {}),
        ...(error ? { error } : {}),
        ...(signedIn ? { signedInAs: signedIn } : {}),
      }),
      [origin(pending.redirectUri)],
    );
  };

  router.get('/oauth/authorize', async (req, res) => {
    try {
      const started = await as.begin(req.query as Record<string, unknown>, base(req));
      if ('redirect' in started) return res.redirect(302, started.redirect);
      showConsent(res, started.requestId);
    } catch (err) {
      if (err instanceof AuthorizePageError) return sendPage(res, 400, 'Error', errorPage(err.message));
      throw err;
    }
  });

  router.post('/oauth/authorize', deps.limiter, form, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, string | undefined>;
    const requestId = body.request ?? '';
    const ip = req.ip ?? null;
    try {
      if (body.action === 'deny') return res.redirect(303, as.deny(requestId));
      let user: UserRow;
      if (body.consent) {
        user = as.takeConsent(body.consent, requestId);
      } else {
        if (!as.pending(requestId)) throw new AuthorizePageError('this sign-in request has expired; start again');
        user = await auth.verifyCredentials(body.username ?? '', body.password ?? '');
      }
      const pending = as.pending(requestId);
      const redirect = as.approve(requestId, user);
      auth.audit({
        userId: user.id,
        action: 'oauth.authorize',
        target: pending?.clientId ?? null,
        outcome: 'ok',
        via: body.consent ? 'github' : 'password',
        ip,
        userAgent: req.get('user-agent') ?? null,
        detail: pending ? { scopes: pending.scopes, resource: pending.resource } : null,
      });
      res.redirect(303, redirect);
    } catch (err) {
      if (err instanceof AuthorizePageError) return sendPage(res, 400, 'Error', errorPage(err.message));
      if (err instanceof DiscoError && err.code === 'unauthorized') {
        auth.audit({
          userId: null,
          action: 'oauth.authorize',
          target: (body.username ?? '').slice(0, 64),
          outcome: 'denied',
          via: 'password',
          ip,
          userAgent: req.get('user-agent') ?? null,
          detail: null,
        });
        return showConsent(res, requestId, 401, err.message);
      }
      throw err;
    }
  });

  const api = Router();
  api.post('/oauth/token', deps.limiter, ...formOrJson, async (req, res) => {
    const client = await as.authenticateClient(clientCredentials(req), `${base(req)}/oauth/token`, base(req));
    const tokens = await as.token(client, (req.body ?? {}) as Record<string, unknown>, base(req));
    res.setHeader('Cache-Control', 'no-store');
    res.json(tokens);
  });
  api.post('/oauth/register', deps.limiter, express.json({ limit: '64kb' }), async (req, res) => {
    const registered = await as.clients.register(req.body);
    log.info({ clientId: registered.client_id, name: registered.client_name }, 'oauth client registered');
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json(registered);
  });
  api.post('/oauth/revoke', deps.limiter, ...formOrJson, async (req, res) => {
    const client = await as.authenticateClient(clientCredentials(req), `${base(req)}/oauth/revoke`, base(req));
    const token = (req.body as Record<string, unknown>)?.token;
    if (typeof token !== 'string') throw new OAuthRequestError('invalid_request', 'token is required');
    await as.revoke(client, token, base(req));
    res.status(200).end();
  });
  api.use(oauthErrors(log));
  router.use(api);
  return router;
}

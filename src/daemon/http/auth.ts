import type { NextFunction, Request, Response } from 'express';
import { isLocalCredential, type LocalCredential } from '../auth/local-credential.js';
import { DEFAULT_OAUTH_SCOPES } from '../auth/oauth/server.js';
import { bearerOf, publicBaseUrl, realmFor, resourceMetadataUrl, type Surface } from '../auth/realm.js';
import type { AuthService } from '../auth/service.js';
import type { Realm } from '../auth/token-pair.js';
import type { Config } from '../config.js';
import { DiscoError, UnauthorizedError } from '../errors.js';
import type { Principal } from '../ops/op.js';

/**
 * Every route behind this needs a valid token (a JWT access token or a personal access token), even on
 * localhost. A 401 names the protected-resource metadata (RFC 9728) so OAuth clients such as ChatGPT can
 * discover how to sign in; on /mcp it also names the scopes a connector should ask for.
 * `local` (on /mcp only): the daemon's per-run local credential, the local admin for `disco mcp`'s relay;
 * any other `disco_local_…` token is refused without reaching the token store.
 */
export function bearerAuth(auth: AuthService, config: Config, surface: Surface, local?: LocalCredential) {
  const challenge = (res: Response, base: string, token: string | undefined, err: unknown) => {
    if (err instanceof DiscoError && err.code === 'unauthorized') {
      // Least privilege: a client follows the challenge's scope (MCP authorization spec) rather than asking
      // for every scope the metadata lists, so it names what a connector needs, never account or admin.
      const scope = surface === 'mcp' ? `, scope="${DEFAULT_OAUTH_SCOPES.join(' ')}"` : '';
      const error = token ? `, error="invalid_token", error_description="${err.message.replaceAll('"', "'")}"` : '';
      res.setHeader(
        'WWW-Authenticate',
        `Bearer realm="disco", resource_metadata="${resourceMetadataUrl(base, surface)}"${scope}${error}`,
      );
    }
  };
  const admit = (req: Request, res: Response, base: string, principal: Principal) => {
    principal.from = { ip: req.ip, userAgent: req.get('user-agent') };
    res.locals.principal = principal;
    res.locals.baseUrl = base;
  };
  const slow = async (req: Request, res: Response, next: NextFunction, base: string, token: string, realm: Realm) => {
    try {
      admit(req, res, base, await auth.authenticate(token, realm));
    } catch (err) {
      challenge(res, base, token, err);
      next(err);
      return;
    }
    next();
  };
  // Perf: a token verified before (the usual case) is answered without a promise (AuthService.knownPrincipal:
  // the same cached check authenticate makes first); anything else goes through authenticate.
  return (req: Request, res: Response, next: NextFunction): void | Promise<void> => {
    const base = publicBaseUrl(req, config);
    const token = bearerOf(req.get('authorization'));
    let known: Principal | undefined;
    let realm: Realm;
    try {
      if (!token) throw new UnauthorizedError('a bearer token is required (Authorization: Bearer <token>)');
      realm = realmFor(base, surface);
      if (isLocalCredential(token)) {
        if (!local) throw new UnauthorizedError('a local credential is accepted on /mcp only');
        known = local.principalFor(token);
      } else known = auth.knownPrincipal(token, realm);
    } catch (err) {
      challenge(res, base, token, err);
      next(err);
      return;
    }
    if (!known) return slow(req, res, next, base, token, realm);
    admit(req, res, base, known);
    next();
  };
}

export const principalOf = (res: Response) => res.locals.principal as Principal;

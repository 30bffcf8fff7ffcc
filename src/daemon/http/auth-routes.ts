import express, { type Request, type RequestHandler, type Response, Router } from 'express';
import type { z } from 'zod';
import { bearerOf, publicBaseUrl, realmFor } from '../auth/realm.js';
import type { AuthService } from '../auth/service.js';
import type { Config } from '../config.js';
import { DiscoError, ValidationError } from '../errors.js';
import { LoginBody, LogoutBody, RefreshBody } from './auth-contract.js';

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (!r.success) {
    const issues = r.error.issues.slice(0, 5).map((i) => ({ path: i.path.join('.'), message: i.message }));
    // What was wrong with what was sent (`disco login --token bogus`: the token is too short), not only the shapes.
    const first = issues.find((i) => i.path) ?? issues[0];
    const said = first ? `: ${first.path ? `${first.path}: ` : ''}${first.message}` : '';
    throw new ValidationError(
      `expected {"username","password"} or {"token"} (login), {"refreshToken"} (refresh, logout)${said}`,
      { issues },
    );
  }
  return r.data;
}

/**
 * First-party sign-in under /api/v1/auth (no bearer needed to reach them): login by password or by
 * exchanging a personal access token (the bootstrap token included), refresh with rotation, logout.
 * `signInLimit` (the per-address sign-in budget) counts login only: other /auth routes
 * (`/auth/me`, the password change) are ordinary authenticated calls and must not lock anyone out.
 */
export function authRoutes(
  auth: AuthService,
  config: Config,
  signInLimit: RequestHandler = (_req, _res, next) => next(),
): Router {
  const router = Router();
  router.use(express.json({ limit: '16kb', strict: true }));
  const meta = (req: Request) => ({ ip: req.ip ?? null, userAgent: req.get('user-agent') ?? null });
  const realm = (req: Request) => realmFor(publicBaseUrl(req, config), 'rest');

  router.post('/login', signInLimit, async (req: Request, res: Response) => {
    const body = parse(LoginBody, req.body);
    const who = 'username' in body ? body.username : 'token';
    try {
      const pair =
        'username' in body
          ? await auth.passwordLogin(body.username, body.password, realm(req), body.scopes)
          : await auth.tokenLogin(body.token, realm(req), body.scopes);
      auth.audit({
        userId: pair.user.id,
        action: 'auth.login',
        target: null,
        outcome: 'ok',
        via: 'username' in body ? 'password' : 'token',
        ...meta(req),
        detail: null,
      });
      res.setHeader('Cache-Control', 'no-store');
      res.json(pair);
    } catch (err) {
      if (err instanceof DiscoError && err.code === 'unauthorized') {
        auth.audit({
          userId: null,
          action: 'auth.login',
          target: who.slice(0, 64),
          outcome: 'denied',
          via: 'username' in body ? 'password' : 'token',
          ...meta(req),
          detail: null,
        });
      }
      throw err;
    }
  });

  // A refresh presents a 256-bit secret, not a guess: it is not a sign-in, and a renewing CLI must not
  // be locked out by someone else's wrong passwords from the same address (the per-address limit applies).
  router.post('/refresh', async (req: Request, res: Response) => {
    const body = parse(RefreshBody, req.body);
    const pair = await auth.refresh(body.refreshToken, realm(req), body.scopes ? { scopes: body.scopes } : {});
    res.setHeader('Cache-Control', 'no-store');
    res.json(pair);
  });

  router.post('/logout', async (req: Request, res: Response) => {
    const body = parse(LogoutBody, req.body);
    const bearer = bearerOf(req.get('authorization'));
    const principal = bearer ? await auth.authenticate(bearer, realm(req)).catch(() => undefined) : undefined;
    if (!body.refreshToken && !principal)
      throw new ValidationError('give the refresh token or the access token to end');
    const result = await auth.logout(body.refreshToken, principal);
    if (principal) {
      auth.audit({
        userId: principal.userId,
        action: 'auth.logout',
        target: null,
        outcome: 'ok',
        via: principal.via,
        ...meta(req),
        detail: null,
      });
    }
    res.json(result);
  });
  return router;
}

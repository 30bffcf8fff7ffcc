import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { UnauthorizedError } from '../errors.js';
import type { Principal } from '../ops/op.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * The foundation's only credential: the admin token. The auth issue replaces `verify` with users, JWTs
 * and PATs; routes only ever see `res.locals.principal`.
 */
export function adminTokenVerifier(adminToken: string, principal: Principal): (token: string) => Principal | undefined {
  const expected = digest(adminToken);
  // Security: compare fixed-length digests in constant time, so timing reveals nothing of the token.
  return (token) => (timingSafeEqual(digest(token), expected) ? principal : undefined);
}

export function bearerAuth(verify: (token: string) => Principal | undefined) {
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const principal = match?.[1] ? verify(match[1]) : undefined;
    if (!principal) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="disco"');
      next(
        new UnauthorizedError(
          match ? 'invalid bearer token' : 'a bearer token is required (Authorization: Bearer <token>)',
        ),
      );
      return;
    }
    res.locals.principal = principal;
    next();
  };
}

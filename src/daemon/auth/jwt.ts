import { randomUUID } from 'node:crypto';
import { UnauthorizedError } from '../errors.js';
import { loadJose } from './jose.js';
import type { SigningKeys } from './signing-keys.js';

export interface AccessClaims {
  sub: string;
  scope: string;
  /** OAuth client the token was issued to; absent for first-party (CLI, password) sessions. */
  client_id?: string;
  /** The session (refresh-token family) the token belongs to; revoking it revokes the token. */
  sid: string;
  /** The user's name and admin flag, so an instance that does not have the user's row can still serve them. */
  name?: string;
  adm?: boolean;
  jti: string;
  iat: number;
  exp: number;
  iss: string;
  aud: string | string[];
}

export interface IssueInput {
  userId: string;
  scopes: readonly string[];
  issuer: string;
  audience: string | string[];
  ttlSeconds: number;
  sessionId: string;
  user: { name: string; isAdmin: boolean };
  clientId?: string;
}

/** Short-lived access tokens: jose signs and verifies; nothing here touches the primitives. */
export class AccessTokens {
  constructor(private readonly keys: SigningKeys) {}

  async issue(input: IssueInput): Promise<{ token: string; jti: string; expiresAt: number }> {
    const jti = randomUUID();
    const now = Math.floor(Date.now() / 1000);
    const exp = now + input.ttlSeconds;
    const { SignJWT } = await loadJose();
    const token = await new SignJWT({
      scope: input.scopes.join(' '),
      sid: input.sessionId,
      name: input.user.name,
      adm: input.user.isAdmin,
      ...(input.clientId ? { client_id: input.clientId } : {}),
    })
      .setProtectedHeader({ alg: this.keys.alg, kid: this.keys.kid, typ: 'at+jwt' })
      .setIssuer(input.issuer)
      .setAudience(input.audience)
      .setSubject(input.userId)
      .setJti(jti)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .sign(this.keys.signKey);
    return { token, jti, expiresAt: exp * 1000 };
  }

  /** Verifies signature, `iss`, `aud` (one of `audiences`), `exp`; typed errors name what failed, never the token. */
  async verify(token: string, issuer: string, audiences: readonly string[]): Promise<AccessClaims> {
    const { errors: joseErrors, jwtVerify } = await loadJose();
    try {
      const { payload } = await jwtVerify(token, this.keys.verifyKey, {
        issuer,
        audience: [...audiences],
        algorithms: [this.keys.alg],
        typ: 'at+jwt',
        requiredClaims: ['sub', 'jti', 'exp', 'iat', 'scope', 'sid'],
      });
      return payload as unknown as AccessClaims;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new UnauthorizedError('access token expired');
      if (err instanceof joseErrors.JWTClaimValidationFailed) {
        const claim = err.claim === 'aud' ? 'audience' : err.claim === 'iss' ? 'issuer' : err.claim;
        throw new UnauthorizedError(`access token has the wrong ${claim}`);
      }
      if (err instanceof joseErrors.JOSEError) throw new UnauthorizedError('invalid access token');
      throw err;
    }
  }
}

/** True for strings shaped like a compact JWS (three base64url parts). */
export const looksLikeJwt = (token: string) => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token);

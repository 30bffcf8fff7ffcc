import type { JWTPayload } from 'jose';
import { loadJose } from './jose.js';
import type { SigningKeys } from './signing-keys.js';

/**
 * The `typ` and audience of one kind of short-lived grant (view links, workbench attach tokens): a token
 * of one kind is never accepted as another, nor as an access token (those are `at+jwt`).
 */
export interface GrantKind {
  typ: string;
  aud: string;
}

/** A grant of `kind` for user `sub` carrying `claims`, signed with the daemon's key, valid `ttlSeconds`. */
export async function signGrant(
  keys: SigningKeys,
  kind: GrantKind,
  sub: string,
  claims: JWTPayload,
  ttlSeconds: number,
): Promise<string> {
  const { SignJWT } = await loadJose();
  return new SignJWT(claims)
    .setProtectedHeader({ alg: keys.alg, kid: keys.kid, typ: kind.typ })
    .setAudience(kind.aud)
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(keys.signKey);
}

/**
 * The claims of a valid grant of `kind` (`sub`, `exp` and the `required` claims present); `expired` for one
 * past its time; undefined for anything else (a bad signature, another kind, a malformed token).
 */
export async function verifyGrant(
  keys: SigningKeys,
  kind: GrantKind,
  token: string,
  required: readonly string[],
): Promise<(JWTPayload & { sub: string }) | 'expired' | undefined> {
  const { errors: joseErrors, jwtVerify } = await loadJose();
  try {
    const { payload } = await jwtVerify(token, keys.verifyKey, {
      audience: kind.aud,
      algorithms: [keys.alg],
      typ: kind.typ,
      requiredClaims: ['sub', 'exp', ...required],
    });
    return payload as JWTPayload & { sub: string };
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) return 'expired';
    if (err instanceof joseErrors.JOSEError) return undefined;
    throw err;
  }
}

import { loadJose } from '../auth/jose.js';
import type { SigningKeys } from '../auth/signing-keys.js';

/** Who may attach a workbench page, and to which container. */
export interface AttachGrant {
  userId: string;
  containerId: string;
}

const TYP = 'workbench-attach+jwt';
const AUD = 'disco:workbench';

/**
 * Short-lived attach tokens for workbench pages (`disco open`, the headless page): a JWT signed with the
 * daemon's key like the view links, but with its own `typ` and audience, so it is never accepted as an
 * access token or a view link and they are never accepted here. It lets one page attach to one container
 * of one user for `ttlSeconds` (an attached page stays attached once connected).
 */
export class AttachTokens {
  constructor(
    private readonly keys: SigningKeys,
    readonly ttlSeconds: number,
  ) {}

  async sign(grant: AttachGrant): Promise<string> {
    const { SignJWT } = await loadJose();
    return new SignJWT({ c: grant.containerId })
      .setProtectedHeader({ alg: this.keys.alg, kid: this.keys.kid, typ: TYP })
      .setAudience(AUD)
      .setSubject(grant.userId)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + this.ttlSeconds)
      .sign(this.keys.signKey);
  }

  /** The grant of a valid token; `expired` past its time; undefined for anything else. */
  async verify(token: string): Promise<AttachGrant | 'expired' | undefined> {
    if (token.length > 4096) return undefined;
    const { errors: joseErrors, jwtVerify } = await loadJose();
    try {
      const { payload } = await jwtVerify(token, this.keys.verifyKey, {
        audience: AUD,
        algorithms: [this.keys.alg],
        typ: TYP,
        requiredClaims: ['sub', 'exp', 'c'],
      });
      const { sub, c } = payload as { sub: string; c: unknown };
      return typeof c === 'string' ? { userId: sub, containerId: c } : undefined;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) return 'expired';
      if (err instanceof joseErrors.JOSEError) return undefined;
      throw err;
    }
  }
}

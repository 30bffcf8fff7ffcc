import { loadJose } from './jose.js';
import type { SigningKeys } from './signing-keys.js';

/** What a view link lets its holder read: one file (or a line range of it) of one user's container. */
export interface ViewGrant {
  userId: string;
  containerId: string;
  path: string;
  lines?: { start: number; end: number };
}

const TYP = 'view+jwt';
const AUD = 'disco:view';

/**
 * Short-lived signed links for citations (`search`/`fetch` URLs a person opens from ChatGPT): a JWT signed
 * with the daemon's key, typed `view+jwt` and with its own audience, so it is never accepted as an access
 * token (those must be `at+jwt`) and an access token is never accepted as a link. It grants reading one
 * file, for `ttlSeconds`, and only while its user still owns the container.
 */
export class ViewLinks {
  constructor(
    private readonly keys: SigningKeys,
    private readonly ttlSeconds: number,
  ) {}

  async sign(grant: ViewGrant): Promise<string> {
    const { SignJWT } = await loadJose();
    return new SignJWT({
      c: grant.containerId,
      p: grant.path,
      ...(grant.lines ? { l: [grant.lines.start, grant.lines.end] } : {}),
    })
      .setProtectedHeader({ alg: this.keys.alg, kid: this.keys.kid, typ: TYP })
      .setAudience(AUD)
      .setSubject(grant.userId)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + this.ttlSeconds)
      .sign(this.keys.signKey);
  }

  /** The grant of a valid link; `expired` for one past its time; undefined for anything else. */
  async verify(token: string): Promise<ViewGrant | 'expired' | undefined> {
    const { errors: joseErrors, jwtVerify } = await loadJose();
    try {
      const { payload } = await jwtVerify(token, this.keys.verifyKey, {
        audience: AUD,
        algorithms: [this.keys.alg],
        typ: TYP,
        requiredClaims: ['sub', 'exp', 'c', 'p'],
      });
      const { sub, c, p, l } = payload as { sub: string; c: unknown; p: unknown; l?: unknown };
      if (typeof c !== 'string' || typeof p !== 'string') return undefined;
      const lines =
        Array.isArray(l) && l.length === 2 && l.every((n) => Number.isInteger(n) && n >= 1)
          ? { start: l[0] as number, end: l[1] as number }
          : undefined;
      return { userId: sub, containerId: c, path: p, ...(lines ? { lines } : {}) };
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) return 'expired';
      if (err instanceof joseErrors.JOSEError) return undefined;
      throw err;
    }
  }
}

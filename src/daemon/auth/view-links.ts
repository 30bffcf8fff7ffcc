import { signGrant, verifyGrant } from './grant-tokens.js';
import type { SigningKeys } from './signing-keys.js';

/** What a view link lets its holder read: one file (or a line range of it) of one user's container. */
export interface ViewGrant {
  userId: string;
  containerId: string;
  path: string;
  lines?: { start: number; end: number };
}

const KIND = { typ: 'view+jwt', aud: 'disco:view' };

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

  sign(grant: ViewGrant): Promise<string> {
    const claims = {
      c: grant.containerId,
      p: grant.path,
      ...(grant.lines ? { l: [grant.lines.start, grant.lines.end] } : {}),
    };
    return signGrant(this.keys, KIND, grant.userId, claims, this.ttlSeconds);
  }

  /** The grant of a valid link; `expired` for one past its time; undefined for anything else. */
  async verify(token: string): Promise<ViewGrant | 'expired' | undefined> {
    const payload = await verifyGrant(this.keys, KIND, token, ['c', 'p']);
    if (payload === undefined || payload === 'expired') return payload;
    const { sub, c, p, l } = payload;
    if (typeof c !== 'string' || typeof p !== 'string') return undefined;
    const lines =
      Array.isArray(l) && l.length === 2 && l.every((n) => Number.isInteger(n) && n >= 1)
        ? { start: l[0] as number, end: l[1] as number }
        : undefined;
    return { userId: sub, containerId: c, path: p, ...(lines ? { lines } : {}) };
  }
}

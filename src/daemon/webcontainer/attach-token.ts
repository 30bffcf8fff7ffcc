import { signGrant, verifyGrant } from '../auth/grant-tokens.js';
import type { SigningKeys } from '../auth/signing-keys.js';

/** Who may attach a workbench page, and to which container. */
export interface AttachGrant {
  userId: string;
  containerId: string;
}

const KIND = { typ: 'workbench-attach+jwt', aud: 'disco:workbench' };

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

  sign(grant: AttachGrant): Promise<string> {
    return signGrant(this.keys, KIND, grant.userId, { c: grant.containerId }, this.ttlSeconds);
  }

  /** The grant of a valid token; `expired` past its time; undefined for anything else. */
  async verify(token: string): Promise<AttachGrant | 'expired' | undefined> {
    if (token.length > 4096) return undefined;
    const payload = await verifyGrant(this.keys, KIND, token, ['c']);
    if (payload === undefined || payload === 'expired') return payload;
    return typeof payload.c === 'string' ? { userId: payload.sub, containerId: payload.c } : undefined;
  }
}

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { UnauthorizedError } from '../errors.js';
import type { Principal } from '../ops/op.js';

/** What every local credential starts with, so a bearer token is told apart from a PAT or a JWT at a glance. */
export const LOCAL_CREDENTIAL_PREFIX = 'disco_local_';

export const isLocalCredential = (token: string | undefined) => token?.startsWith(LOCAL_CREDENTIAL_PREFIX) === true;

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * The daemon's per-run local credential: a random secret made at start, held in this process's memory only
 * (never in SQLite, never logged) and handed to other processes on the same $DISCO_HOME through the
 * daemon's run record (`src/shared/daemon-record.ts`, 0600 in a 0700 directory). `/mcp` accepts it as the
 * local admin — the principal `disco mcp` acts as when it runs in-process — so `disco mcp` can relay to
 * this daemon without reading or registering a bootstrap token. Whoever reads $DISCO_HOME already owns
 * the database and the keys, so it grants nothing new. It is accepted on `/mcp` only, never forwarded to
 * another instance, and dies with the process.
 */
export class LocalCredential {
  readonly secret = `${LOCAL_CREDENTIAL_PREFIX}${randomBytes(32).toString('base64url')}`;
  private readonly digest = digest(this.secret);

  constructor(private readonly admin: Principal) {}

  /** The local admin for the right secret (compared in constant time); 401 for any other `disco_local_` token. */
  principalFor(token: string): Principal {
    if (!timingSafeEqual(digest(token), this.digest)) throw new UnauthorizedError('unknown local credential');
    return { ...this.admin, scopes: new Set(this.admin.scopes) };
  }

  /** Keeps the secret out of anything that serializes this object (logs, errors). */
  toJSON(): string {
    return '[local credential]';
  }
}

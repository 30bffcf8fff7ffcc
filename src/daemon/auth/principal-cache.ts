import type { Principal } from '../ops/op.js';
import type { Realm } from './token-pair.js';

/** Bounded: a full cache starts over (only verified tokens get in, so this takes many real tokens). */
const MAX_ENTRIES = 10_000;
/** Even a long-lived token is checked against its store again after this long. */
const MAX_AGE_MS = 5 * 60_000;

/** The store version each request's principal was checked at (see `checkedVersion`). */
const checkedAt = new WeakMap<Principal, number>();

/**
 * The token store's version when this principal's token was checked (verified, or found in the cache),
 * for this request only. Perf: a cache of database state keyed on the same version (the container cache)
 * needs no check of its own while it has not moved: the request then sees the database as it was when
 * its token was checked. Held beside the object, never in it, so nothing serialised can carry one.
 */
export const checkedVersion = (principal: Principal): number | undefined => checkedAt.get(principal);

/** Records the version a principal was checked at (a fresh object per request). */
export function stampChecked(principal: Principal, version: number | undefined): Principal {
  if (version !== undefined) checkedAt.set(principal, version);
  return principal;
}

interface Entry {
  principal: Principal;
  until: number;
  version: number;
}

/**
 * Perf: verified bearer tokens and who they are, so a request with a token seen before skips the signature
 * check and the store lookups (SQLite queries, or Redis round trips).
 *
 * Security: this is the same check, remembered, not a weaker one. An entry lives no longer than its token
 * (nor MAX_AGE_MS), only successes are kept, and it is keyed by the token's digest (plus the realm for
 * access tokens: the issuer and audiences they were checked against). Every entry is tied to the token
 * store's version when its verification began; anything that can end a token (a revoked PAT or session, a
 * password change, a user's tokens revoked, any write to the database by another process on the same home)
 * changes that version and empties the cache. A store that cannot tell has no version, and then nothing is
 * cached: the shared Redis store, whose records must be re-checked at every use.
 */
export class PrincipalCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly version: () => number | undefined) {}

  /** The key of a token by its digest: a PAT is one for every realm, an access token only for its own. */
  static key(digest: string, realm?: Realm): string {
    return realm ? `${digest} ${realm.issuer} ${realm.audiences.join(' ')}` : digest;
  }

  /** The store's version now: read it before verifying, and pass it to `set`. */
  current(): number | undefined {
    return this.version();
  }

  get(key: string, now = Date.now()): Principal | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const version = this.version();
    if (version === undefined || version !== entry.version) {
      this.entries.clear();
      return undefined;
    }
    if (entry.until <= now) {
      this.entries.delete(key);
      return undefined;
    }
    // A copy: callers add where the request came from.
    return stampChecked({ ...entry.principal }, version);
  }

  /**
   * Remembers a principal verified under `version` until `until` (the token's expiry). A revocation that
   * raced the verification has already moved the version on, so such an entry is never served.
   */
  set(key: string, principal: Principal, until: number, version: number | undefined, now = Date.now()): void {
    if (version === undefined || until <= now) return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    const { from: _from, ...rest } = principal;
    this.entries.set(key, { principal: rest, until: Math.min(until, now + MAX_AGE_MS), version });
  }

  clear(): void {
    this.entries.clear();
  }
}

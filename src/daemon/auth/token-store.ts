import type { PatRow, RefreshRow, SessionRecord, TokensRepo } from '../db/tokens-repo.js';

export type NewPat = Omit<PatRow, 'lastUsedAt' | 'revokedAt' | 'scopes'> & {
  scopes: readonly string[];
  tokenHash: string;
};
export type NewRefresh = Omit<RefreshRow, 'usedAt' | 'revokedAt' | 'scopes'> & { scopes: readonly string[] };

export type { SessionRecord };

/**
 * Where PATs and sessions (refresh-token families) live: this instance's SQLite, or Redis when several
 * instances share them (a token minted or revoked on one is known to all, at once).
 */
export interface TokenStore {
  readonly shared: boolean;
  insertPat(p: NewPat): Promise<void>;
  patByHash(hash: string): Promise<PatRow | undefined>;
  pat(id: string): Promise<PatRow | undefined>;
  patsOf(userId: string): Promise<PatRow[]>;
  touchPat(id: string, at: number): Promise<void>;
  revokePat(id: string, at: number): Promise<boolean>;
  insertRefresh(r: NewRefresh): Promise<void>;
  refresh(hash: string): Promise<RefreshRow | undefined>;
  /** Spends a refresh token; false when it already was (a replay). Atomic across racing callers. */
  markRefreshUsed(hash: string, at: number): Promise<boolean>;
  revokeFamily(familyId: string, at: number): Promise<number>;
  revokeAllOf(userId: string, at: number): Promise<{ pats: number; refresh: number }>;
  /** The session, revoked or not; undefined when unknown (or, in Redis, not sealed by us). */
  session(familyId: string): Promise<SessionRecord | undefined>;
  /** Ends every session of a user but `except` (the caller's own); returns how many ended. */
  revokeSessionsOf(userId: string, at: number, except?: string): Promise<number>;
  purgeExpired(now: number): Promise<{ refresh: number }>;
  /** A short-lived mark (a sealed grace record), replacing any under the same key. */
  putMark(key: string, value: string, expiresAt: number): Promise<void>;
  /** Sets a mark unless a live one exists; false when one did (a single-use id seen before). Atomic. */
  putMarkOnce(key: string, value: string, expiresAt: number): Promise<boolean>;
  mark(key: string): Promise<string | undefined>;
  /**
   * Changes whenever a token or session may have been revoked or changed: by this process or by another
   * process on the same database. Undefined when it cannot tell, and then nothing may be cached.
   */
  version(): number | undefined;
}

/** The single-instance store: SQLite, through the repository (synchronous, wrapped). */
export class SqliteTokenStore implements TokenStore {
  readonly shared = false;
  constructor(private readonly repo: TokensRepo) {}

  /**
   * Any write to the database counts, whatever it changed (another process's, or any on this connection: a
   * revocation through this store changes rows, so it moves the version at once); a cache keyed on this errs
   * on the safe side.
   */
  version(): number {
    return this.repo.changeVersion();
  }

  insertPat = async (p: NewPat) => this.repo.insertPat(p);
  patByHash = async (hash: string) => this.repo.patByHash(hash);
  pat = async (id: string) => this.repo.pat(id);
  patsOf = async (userId: string) => this.repo.patsOf(userId);
  touchPat = async (id: string, at: number) => this.repo.touchPat(id, at);
  revokePat = async (id: string, at: number) => this.repo.revokePat(id, at);
  insertRefresh = async (r: NewRefresh) => this.repo.insertRefresh(r);
  refresh = async (hash: string) => this.repo.refresh(hash);
  markRefreshUsed = async (hash: string, at: number) => this.repo.markRefreshUsed(hash, at);
  revokeFamily = async (familyId: string, at: number) => this.repo.revokeFamily(familyId, at);
  revokeAllOf = async (userId: string, at: number) => this.repo.revokeAllOf(userId, at);
  session = async (familyId: string) => this.repo.session(familyId);
  revokeSessionsOf = async (userId: string, at: number, except?: string) =>
    this.repo.revokeSessionsOf(userId, at, except);
  purgeExpired = async (now: number) => this.repo.purgeExpired(now);
  putMark = async (key: string, value: string, expiresAt: number) => this.repo.putMark(key, value, expiresAt);
  putMarkOnce = async (key: string, value: string, expiresAt: number) => this.repo.putMarkOnce(key, value, expiresAt);
  mark = async (key: string) => this.repo.mark(key);
}

import { DbChanges } from './changes.js';
import type { Db } from './open.js';

export interface PatRow {
  id: string;
  userId: string;
  name: string;
  /** The first characters of the secret, enough to recognise it in a list; never the secret. */
  hint: string;
  scopes: string[];
  kind: 'pat' | 'bootstrap';
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
  /** Carried by shared (Redis) records so another instance knows the owner without their row. */
  userName?: string;
  userIsAdmin?: boolean;
}

interface RawPat {
  id: string;
  user_id: string;
  name: string;
  hint: string;
  scopes: string;
  kind: PatRow['kind'];
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

const toPat = (r: RawPat): PatRow => ({
  id: r.id,
  userId: r.user_id,
  name: r.name,
  hint: r.hint,
  scopes: r.scopes.split(' ').filter(Boolean),
  kind: r.kind,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

export interface RefreshRow {
  tokenHash: string;
  familyId: string;
  userId: string;
  clientId: string | null;
  scopes: string[];
  audience: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
  revokedAt: number | null;
  userName?: string;
  userIsAdmin?: boolean;
}

/**
 * A session (refresh-token family) as the store knows it: whose it is and what it was granted. Access tokens
 * are checked against it, so a token's claims never outrank the record (see AuthService.authenticate).
 */
export interface SessionRecord {
  familyId: string;
  userId: string;
  /** The owner's name and admin flag, carried by shared records for instances without the user's row. */
  userName?: string;
  userIsAdmin?: boolean;
  /** Scopes granted when the session began; refreshes only narrow them. */
  scopes: string[];
  clientId: string | null;
  /** When the user signed in (ms): the session's first token. */
  authTime: number;
  revokedAt: number | null;
}

interface RawRefresh {
  token_hash: string;
  family_id: string;
  user_id: string;
  client_id: string | null;
  scopes: string;
  audience: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  revoked_at: number | null;
}

const toRefresh = (r: RawRefresh): RefreshRow => ({
  tokenHash: r.token_hash,
  familyId: r.family_id,
  userId: r.user_id,
  clientId: r.client_id,
  scopes: r.scopes.split(' ').filter(Boolean),
  audience: r.audience,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  usedAt: r.used_at,
  revokedAt: r.revoked_at,
});

/** Personal access tokens, refresh tokens and revoked access-token ids. Only hashes of secrets are stored. */
export class TokensRepo {
  private readonly stmts;
  private readonly changes: DbChanges;

  constructor(private readonly db: Db) {
    this.changes = DbChanges.of(db);
    this.stmts = {
      insertPat: db.prepare(
        `INSERT INTO access_tokens (id, user_id, name, token_hash, hint, scopes, kind, created_at, expires_at)
         VALUES (@id, @userId, @name, @tokenHash, @hint, @scopes, @kind, @createdAt, @expiresAt)`,
      ),
      patByHash: db.prepare('SELECT * FROM access_tokens WHERE token_hash = ?'),
      patById: db.prepare('SELECT * FROM access_tokens WHERE id = ?'),
      patsOf: db.prepare('SELECT * FROM access_tokens WHERE user_id = ? ORDER BY created_at, id'),
      touchPat: db.prepare('UPDATE access_tokens SET last_used_at = ? WHERE id = ?'),
      revokePat: db.prepare('UPDATE access_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      revokePatsOf: db.prepare('UPDATE access_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL'),
      insertRefresh: db.prepare(
        `INSERT INTO refresh_tokens (token_hash, family_id, user_id, client_id, scopes, audience, created_at, expires_at)
         VALUES (@tokenHash, @familyId, @userId, @clientId, @scopes, @audience, @createdAt, @expiresAt)`,
      ),
      refreshByHash: db.prepare('SELECT * FROM refresh_tokens WHERE token_hash = ?'),
      markUsed: db.prepare('UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL'),
      revokeFamily: db.prepare('UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL'),
      revokeRefreshOf: db.prepare('UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL'),
      familyLive: db.prepare('SELECT 1 FROM refresh_tokens WHERE family_id = ? AND revoked_at IS NULL LIMIT 1'),
      // The family's first token: who signed in, when, with what grant (later tokens only narrow it).
      familyFirst: db.prepare('SELECT * FROM refresh_tokens WHERE family_id = ? ORDER BY created_at, rowid LIMIT 1'),
      familyRevokedAt: db.prepare('SELECT MAX(revoked_at) AS at FROM refresh_tokens WHERE family_id = ?'),
      revokeOthersOf: db.prepare(
        'UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND family_id != ? AND revoked_at IS NULL',
      ),
      putMark: db.prepare(
        `INSERT INTO token_marks (key, value, expires_at) VALUES (?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
      ),
      // Only a new key, or one whose mark has expired, is taken: of two racing callers exactly one wins.
      putMarkOnce: db.prepare(
        `INSERT INTO token_marks (key, value, expires_at) VALUES (@key, @value, @expiresAt)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
         WHERE token_marks.expires_at <= @now`,
      ),
      getMark: db.prepare('SELECT value FROM token_marks WHERE key = ? AND expires_at > ?'),
      purgeMarks: db.prepare('DELETE FROM token_marks WHERE expires_at <= ?'),
      // A family is purged only when every token in it has expired (its access tokens are long dead by then).
      purgeRefresh: db.prepare(
        `DELETE FROM refresh_tokens WHERE family_id IN (
           SELECT family_id FROM refresh_tokens GROUP BY family_id HAVING MAX(expires_at) < ?)`,
      ),
    };
  }

  insertPat(p: Omit<PatRow, 'lastUsedAt' | 'revokedAt' | 'scopes'> & { scopes: readonly string[]; tokenHash: string }) {
    const { userName: _n, userIsAdmin: _a, ...row } = p;
    this.stmts.insertPat.run({ ...row, scopes: p.scopes.join(' ') });
  }

  patByHash(hash: string): PatRow | undefined {
    const r = this.stmts.patByHash.get(hash) as RawPat | undefined;
    return r && toPat(r);
  }

  pat(id: string): PatRow | undefined {
    const r = this.stmts.patById.get(id) as RawPat | undefined;
    return r && toPat(r);
  }

  patsOf(userId: string): PatRow[] {
    return (this.stmts.patsOf.all(userId) as RawPat[]).map(toPat);
  }

  touchPat(id: string, at: number): void {
    this.stmts.touchPat.run(at, id);
  }

  revokePat(id: string, at: number): boolean {
    return this.stmts.revokePat.run(at, id).changes > 0;
  }

  insertRefresh(r: Omit<RefreshRow, 'usedAt' | 'revokedAt' | 'scopes'> & { scopes: readonly string[] }): void {
    const { userName: _n, userIsAdmin: _a, ...row } = r;
    this.stmts.insertRefresh.run({ ...row, scopes: r.scopes.join(' ') });
  }

  refresh(hash: string): RefreshRow | undefined {
    const r = this.stmts.refreshByHash.get(hash) as RawRefresh | undefined;
    return r && toRefresh(r);
  }

  /** Marks a refresh token used; false when it already was (a replay). Atomic, so two racing uses cannot both win. */
  markRefreshUsed(hash: string, at: number): boolean {
    return this.stmts.markUsed.run(at, hash).changes > 0;
  }

  revokeFamily(familyId: string, at: number): number {
    return this.stmts.revokeFamily.run(at, familyId).changes;
  }

  /** Revokes every PAT and refresh token of a user. */
  revokeAllOf(userId: string, at: number): { pats: number; refresh: number } {
    return this.db.transaction(() => ({
      pats: this.stmts.revokePatsOf.run(at, userId).changes,
      refresh: this.stmts.revokeRefreshOf.run(at, userId).changes,
    }))();
  }

  /**
   * A session (refresh-token family): live while any of its tokens is unrevoked (revocation marks them all).
   * Access tokens of a revoked or unknown session are refused, so even a correctly signed token needs one.
   */
  session(familyId: string): SessionRecord | undefined {
    const first = this.stmts.familyFirst.get(familyId) as RawRefresh | undefined;
    if (!first) return undefined;
    const live = this.stmts.familyLive.get(familyId) !== undefined;
    const revokedAt = live ? null : ((this.stmts.familyRevokedAt.get(familyId) as { at: number | null }).at ?? 0);
    return {
      familyId,
      userId: first.user_id,
      scopes: first.scopes.split(' ').filter(Boolean),
      clientId: first.client_id,
      authTime: first.created_at,
      revokedAt,
    };
  }

  /** Revokes every session of a user but one (`except`, the caller's); returns how many tokens it marked. */
  revokeSessionsOf(userId: string, at: number, except = ''): number {
    return this.stmts.revokeOthersOf.run(at, userId, except).changes;
  }

  /** Removes refresh-token families that can no longer be used (and expired marks); returns how many tokens went. */
  purgeExpired(now: number): { refresh: number } {
    this.stmts.purgeMarks.run(now);
    return { refresh: this.stmts.purgeRefresh.run(now).changes };
  }

  putMark(key: string, value: string, expiresAt: number): void {
    this.stmts.putMark.run(key, value, expiresAt);
  }

  /** Sets a mark unless a live one exists; false when it did (the key was already used). Atomic. */
  putMarkOnce(key: string, value: string, expiresAt: number): boolean {
    return this.stmts.putMarkOnce.run({ key, value, expiresAt, now: Date.now() }).changes > 0;
  }

  mark(key: string): string | undefined {
    return (this.stmts.getMark.get(key, Date.now()) as { value: string } | undefined)?.value;
  }

  /** Moves whenever the database may have changed, by this process or another (see DbChanges). */
  changeVersion(): number {
    return this.changes.version();
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}

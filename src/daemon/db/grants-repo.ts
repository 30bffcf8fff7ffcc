import type { Db } from './open.js';

export type GrantKind = 'authz_request' | 'code' | 'consent' | 'github_state';

/**
 * Short-lived, single-use records of browser flows: a pending authorization request, an authorization
 * code, a signed-in consent step, a GitHub `state`. Keyed by a digest of their random id.
 */
export class GrantsRepo {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      insert: db.prepare(
        'INSERT INTO oauth_grants (id_hash, kind, data, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
      ),
      get: db.prepare(
        'SELECT data FROM oauth_grants WHERE id_hash = ? AND kind = ? AND used_at IS NULL AND expires_at > ?',
      ),
      // One statement: of two racing takers exactly one gets the row.
      take: db.prepare(
        `UPDATE oauth_grants SET used_at = ? WHERE id_hash = ? AND kind = ? AND used_at IS NULL AND expires_at > ?
         RETURNING data`,
      ),
      spent: db.prepare('SELECT data, used_at FROM oauth_grants WHERE id_hash = ? AND kind = ?'),
      update: db.prepare('UPDATE oauth_grants SET data = ? WHERE id_hash = ? AND kind = ?'),
      purge: db.prepare('DELETE FROM oauth_grants WHERE expires_at < ?'),
    };
  }

  put(idHash: string, kind: GrantKind, data: unknown, ttlMs: number): void {
    const now = Date.now();
    this.stmts.insert.run(idHash, kind, JSON.stringify(data), now, now + ttlMs);
  }

  /** Reads a live grant without spending it. */
  peek<T>(idHash: string, kind: GrantKind): T | undefined {
    const row = this.stmts.get.get(idHash, kind, Date.now()) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as T) : undefined;
  }

  /** Spends a live grant; undefined when unknown, expired or already spent. */
  take<T>(idHash: string, kind: GrantKind): T | undefined {
    const now = Date.now();
    const row = this.stmts.take.get(now, idHash, kind, now) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as T) : undefined;
  }

  /** A grant that was already spent (to react to a replayed authorization code). */
  spent<T>(idHash: string, kind: GrantKind): T | undefined {
    const row = this.stmts.spent.get(idHash, kind) as { data: string; used_at: number | null } | undefined;
    return row?.used_at ? (JSON.parse(row.data) as T) : undefined;
  }

  update(idHash: string, kind: GrantKind, data: unknown): void {
    this.stmts.update.run(JSON.stringify(data), idHash, kind);
  }

  purgeExpired(now = Date.now()): number {
    return this.stmts.purge.run(now).changes;
  }
}

import type { Db } from './open.js';

/**
 * `link`: a short-lived single-use link from preview_open; `session`: the preview cookie it turns into;
 * `share`: a link anyone holding it may use until it expires or is revoked.
 */
export type PreviewKind = 'link' | 'session' | 'share';

export interface PreviewGrant {
  id: string;
  kind: PreviewKind;
  containerId: string;
  port: number;
  ownerId: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
  revokedAt: number | null;
}

interface RawGrant {
  id: string;
  kind: PreviewKind;
  container_id: string;
  port: number;
  owner_id: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  revoked_at: number | null;
}

const toGrant = (r: RawGrant): PreviewGrant => ({
  id: r.id,
  kind: r.kind,
  containerId: r.container_id,
  port: r.port,
  ownerId: r.owner_id,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  usedAt: r.used_at,
  revokedAt: r.revoked_at,
});

/** Preview links, cookies and shares, keyed by a digest of their random token (the token is never stored). */
export class PreviewRepo {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO preview_access (token_hash, id, kind, container_id, port, owner_id, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      live: db.prepare(
        `SELECT * FROM preview_access WHERE token_hash = ? AND kind IN ('session', 'share') AND revoked_at IS NULL
           AND expires_at > ?`,
      ),
      // One statement: of two racing takers exactly one gets the link.
      take: db.prepare(
        `UPDATE preview_access SET used_at = ? WHERE token_hash = ? AND kind = 'link' AND used_at IS NULL
           AND revoked_at IS NULL AND expires_at > ? RETURNING *`,
      ),
      listShares: db.prepare(
        `SELECT * FROM preview_access WHERE owner_id = ? AND kind = 'share' AND (? IS NULL OR container_id = ?)
         ORDER BY created_at DESC, id LIMIT 500`,
      ),
      revoke: db.prepare(
        `UPDATE preview_access SET revoked_at = ? WHERE id = ? AND owner_id = ? AND kind = 'share' AND revoked_at IS NULL`,
      ),
      byId: db.prepare(`SELECT * FROM preview_access WHERE id = ? AND owner_id = ? AND kind = 'share'`),
      dropContainer: db.prepare('DELETE FROM preview_access WHERE container_id = ?'),
      purge: db.prepare('DELETE FROM preview_access WHERE expires_at < ?'),
    };
  }

  insert(tokenHash: string, g: Omit<PreviewGrant, 'usedAt' | 'revokedAt'>): void {
    this.stmts.insert.run(tokenHash, g.id, g.kind, g.containerId, g.port, g.ownerId, g.createdAt, g.expiresAt);
  }

  /** A live (unexpired, unrevoked) session or share. */
  live(tokenHash: string, now = Date.now()): PreviewGrant | undefined {
    const r = this.stmts.live.get(tokenHash, now) as RawGrant | undefined;
    return r && toGrant(r);
  }

  /** Spends a single-use link; undefined when unknown, expired or already used. */
  takeLink(tokenHash: string, now = Date.now()): PreviewGrant | undefined {
    const r = this.stmts.take.get(now, tokenHash, now) as RawGrant | undefined;
    return r && toGrant(r);
  }

  shares(ownerId: string, containerId?: string): PreviewGrant[] {
    const c = containerId ?? null;
    return (this.stmts.listShares.all(ownerId, c, c) as RawGrant[]).map(toGrant);
  }

  share(ownerId: string, id: string): PreviewGrant | undefined {
    const r = this.stmts.byId.get(id, ownerId) as RawGrant | undefined;
    return r && toGrant(r);
  }

  /** True when a live share was revoked now. */
  revoke(ownerId: string, id: string, now = Date.now()): boolean {
    return this.stmts.revoke.run(now, id, ownerId).changes > 0;
  }

  dropContainer(containerId: string): void {
    this.stmts.dropContainer.run(containerId);
  }

  purgeExpired(now = Date.now()): number {
    return this.stmts.purge.run(now).changes;
  }
}

import { DbChanges } from './changes.js';
import type { Db } from './open.js';

export interface AuditEntry {
  id: number;
  at: number;
  userId: string | null;
  action: string;
  target: string | null;
  outcome: 'ok' | 'denied' | 'failed';
  via: string | null;
  ip: string | null;
  userAgent: string | null;
  detail: Record<string, unknown> | null;
}

export type AuditRecord = Omit<AuditEntry, 'id' | 'at'> & { at?: number };

interface RawAudit {
  id: number;
  at: number;
  user_id: string | null;
  action: string;
  target: string | null;
  outcome: AuditEntry['outcome'];
  via: string | null;
  ip: string | null;
  user_agent: string | null;
  detail: string | null;
}

/** Who did what, when, from where: sensitive operations only, append-only. */
export class AuditRepo {
  private readonly stmts;
  /** Audit rows are no cache's concern: writing one moves no version (DbChanges.unseen). */
  private readonly changes: DbChanges;

  constructor(db: Db) {
    this.changes = DbChanges.of(db);
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO audit_log (at, user_id, action, target, outcome, via, ip, user_agent, detail)
         VALUES (@at, @userId, @action, @target, @outcome, @via, @ip, @userAgent, @detail)`,
      ),
      list: db.prepare(
        `SELECT * FROM audit_log
         WHERE (@userId IS NULL OR user_id = @userId) AND (@action IS NULL OR action = @action)
           AND (@before IS NULL OR id < @before)
         ORDER BY id DESC LIMIT @limit`,
      ),
      purge: db.prepare('DELETE FROM audit_log WHERE at < ?'),
    };
  }

  record(e: AuditRecord): void {
    this.changes.unseen(() =>
      this.stmts.insert.run({
        at: e.at ?? Date.now(),
        userId: e.userId,
        action: e.action,
        target: e.target,
        outcome: e.outcome,
        via: e.via,
        ip: e.ip,
        userAgent: e.userAgent ? e.userAgent.slice(0, 256) : null,
        detail: e.detail ? JSON.stringify(e.detail) : null,
      }),
    );
  }

  /** Newest first; `before` pages by id. */
  list(q: { userId?: string; action?: string; before?: number; limit: number }): AuditEntry[] {
    const rows = this.stmts.list.all({
      userId: q.userId ?? null,
      action: q.action ?? null,
      before: q.before ?? null,
      limit: q.limit,
    }) as RawAudit[];
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      userId: r.user_id,
      action: r.action,
      target: r.target,
      outcome: r.outcome,
      via: r.via,
      ip: r.ip,
      userAgent: r.user_agent,
      detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null,
    }));
  }

  /** Retention: deletes entries older than `before` (ms); returns how many. */
  purgeBefore(before: number): number {
    return this.stmts.purge.run(before).changes;
  }
}

import type { Db } from './open.js';

export interface LeaseRow {
  name: string;
  holder: string;
  kind: string;
  priority: number;
  pid: number;
  acquiredAt: number;
  expiresAt: number;
}

export interface JobRunRow {
  job: string;
  holder: string;
  startedAt: number;
  finishedAt: number | null;
  ok: boolean | null;
  summary: string | null;
  runs: number;
}

export interface LeaseClaim {
  name: string;
  holder: string;
  kind: string;
  /** A higher priority takes the lease from a lower one (`disco worker` from a daemon running jobs in-process). */
  priority: number;
  ttlMs: number;
}

/** The background-job lease (one holder at a time per database) and the record of each job's last run. */
export class JobsRepo {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      // One statement, so two processes racing for the lease cannot both win: the row is taken when it is
      // ours already, expired, or held at a lower priority.
      acquire: db.prepare(
        `INSERT INTO leases (name, holder, kind, priority, pid, acquired_at, expires_at)
         VALUES (@name, @holder, @kind, @priority, @pid, @now, @expiresAt)
         ON CONFLICT(name) DO UPDATE SET
           acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at ELSE excluded.acquired_at END,
           holder = excluded.holder, kind = excluded.kind, priority = excluded.priority, pid = excluded.pid,
           expires_at = excluded.expires_at
         WHERE leases.holder = excluded.holder OR leases.expires_at <= excluded.acquired_at
            OR leases.priority < excluded.priority`,
      ),
      release: db.prepare('DELETE FROM leases WHERE name = ? AND holder = ?'),
      lease: db.prepare('SELECT * FROM leases WHERE name = ?'),
      started: db.prepare(
        `INSERT INTO job_runs (job, holder, started_at, finished_at, ok, summary, runs) VALUES (?, ?, ?, NULL, NULL, NULL, 1)
         ON CONFLICT(job) DO UPDATE SET holder = excluded.holder, started_at = excluded.started_at,
           finished_at = NULL, ok = NULL, summary = NULL, runs = job_runs.runs + 1`,
      ),
      finished: db.prepare('UPDATE job_runs SET finished_at = ?, ok = ?, summary = ? WHERE job = ?'),
      run: db.prepare('SELECT * FROM job_runs WHERE job = ?'),
      runs: db.prepare('SELECT * FROM job_runs ORDER BY job'),
    };
  }

  /** Takes or renews the lease; true when `holder` holds it until now + ttl. */
  acquire(claim: LeaseClaim, now = Date.now()): boolean {
    return (
      this.stmts.acquire.run({
        name: claim.name,
        holder: claim.holder,
        kind: claim.kind,
        priority: claim.priority,
        pid: process.pid,
        now,
        expiresAt: now + claim.ttlMs,
      }).changes > 0
    );
  }

  release(name: string, holder: string): boolean {
    return this.stmts.release.run(name, holder).changes > 0;
  }

  lease(name: string): LeaseRow | undefined {
    const r = this.stmts.lease.get(name) as
      | {
          name: string;
          holder: string;
          kind: string;
          priority: number;
          pid: number;
          acquired_at: number;
          expires_at: number;
        }
      | undefined;
    return (
      r && {
        name: r.name,
        holder: r.holder,
        kind: r.kind,
        priority: r.priority,
        pid: r.pid,
        acquiredAt: r.acquired_at,
        expiresAt: r.expires_at,
      }
    );
  }

  jobStarted(job: string, holder: string, at: number): void {
    this.stmts.started.run(job, holder, at);
  }

  jobFinished(job: string, ok: boolean, summary: unknown, at: number): void {
    this.stmts.finished.run(at, ok ? 1 : 0, JSON.stringify(summary), job);
  }

  lastRun(job: string): JobRunRow | undefined {
    const r = this.stmts.run.get(job) as RawRun | undefined;
    return r && toRun(r);
  }

  runs(): JobRunRow[] {
    return (this.stmts.runs.all() as RawRun[]).map(toRun);
  }

  /**
   * SQLite upkeep: refresh the planner's statistics where they are stale, and move the WAL into the
   * database without waiting for readers (PASSIVE never blocks the daemon's writes).
   */
  maintain(): { checkpoint: { busy: number; log: number; checkpointed: number } } {
    this.db.pragma('optimize');
    const [row] = this.db.pragma('wal_checkpoint(PASSIVE)') as Array<{
      busy: number;
      log: number;
      checkpointed: number;
    }>;
    return { checkpoint: row ?? { busy: 0, log: 0, checkpointed: 0 } };
  }
}

interface RawRun {
  job: string;
  holder: string;
  started_at: number;
  finished_at: number | null;
  ok: number | null;
  summary: string | null;
  runs: number;
}

const toRun = (r: RawRun): JobRunRow => ({
  job: r.job,
  holder: r.holder,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  ok: r.ok === null ? null : r.ok === 1,
  summary: r.summary,
  runs: r.runs,
});

import type { Db } from './open.js';

const byDb = new WeakMap<Db, DbChanges>();

/**
 * A number that moves whenever the database may have changed: SQLite's `data_version` (another connection —
 * another process on this home — committed) or this connection's `total_changes()` (any row this process
 * inserted, updated or deleted, but for rows no cache reads: see `unseen`). Caches of database state
 * remember the version they were checked at and are still exact while it has not moved. One per connection,
 * shared by every repository on it, so one read per request serves every cache (the token cache, the
 * container cache).
 */
export class DbChanges {
  private readonly dataVersion;
  private readonly totalChanges;
  private lastData = -1;
  private lastTotal = -1;
  private counter = 0;

  private constructor(db: Db) {
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
    this.totalChanges = db.prepare('SELECT total_changes()').pluck();
  }

  static of(db: Db): DbChanges {
    const known = byDb.get(db);
    if (known) return known;
    const changes = new DbChanges(db);
    byDb.set(db, changes);
    return changes;
  }

  /**
   * Runs `write`, a write by this connection to rows no cache depends on (process history, the audit log),
   * without moving the version, unless something else changed since it was last read (then the next read
   * moves it, as before). Perf: every command writes both, and each write emptied the token and container
   * caches, so the request after a command verified its token and probed its container in SQLite again.
   */
  unseen<T>(write: () => T): T {
    const before = this.totalChanges.get() as number;
    const result = write();
    if (before === this.lastTotal) this.lastTotal = this.totalChanges.get() as number;
    return result;
  }

  /** The version now (two cheap reads: no table is touched). */
  version(): number {
    const data = this.dataVersion.get() as number;
    const total = this.totalChanges.get() as number;
    if (data !== this.lastData || total !== this.lastTotal) {
      this.lastData = data;
      this.lastTotal = total;
      this.counter++;
    }
    return this.counter;
  }
}

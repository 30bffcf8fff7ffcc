import type { Db } from './open.js';

const byDb = new WeakMap<Db, DbChanges>();

/**
 * A number that moves whenever the database may have changed: SQLite's `data_version` (another connection —
 * another process on this home — committed) or this connection's `total_changes()` (any row this process
 * inserted, updated or deleted). Caches of database state remember the version they were checked at and
 * are still exact while it has not moved. One per connection, shared by every repository on it, so one
 * read per request serves every cache (the token cache, the container cache).
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

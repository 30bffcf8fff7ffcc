import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { MIGRATIONS, type Migration } from './migrations.js';

export type Db = Database.Database;

export class DatabaseOpenError extends Error {
  override name = 'DatabaseOpenError';
}

/**
 * SQLite's page cache per connection, KiB: SQLite's own default (2000). better-sqlite3 builds SQLite with
 * SQLITE_DEFAULT_CACHE_SIZE=-16000, and the cache keeps every page it read or wrote until it holds 16 MB:
 * a daemon whose tables grow (a row per exec in `processes`, the audit log) fills it, and its pages live in
 * glibc's main heap, where RSS does not come back even after `PRAGMA shrink_memory` (issue 20: +16 MB of
 * malloc'd memory in use after a 5-minute soak). The hot rows (tokens, containers) fit many times over, and
 * a page not in this cache is one read from the OS page cache.
 */
export const PAGE_CACHE_KIB = 2000;

export interface OpenOptions {
  /** Page cache of this connection, KiB (`PRAGMA cache_size = -n`). */
  pageCacheKib?: number;
}

/**
 * Opens the state database: WAL for crash safety and concurrent readers, foreign keys on, a bounded page
 * cache, sqlite-vec loaded (the RAG index needs it; failing now beats failing on the first search),
 * then pending migrations applied.
 */
export function openDatabase(file: string, migrations: readonly Migration[] = MIGRATIONS, opts: OpenOptions = {}): Db {
  let db: Db;
  try {
    db = new Database(file);
  } catch (err) {
    throw new DatabaseOpenError(`cannot open database ${file}: ${(err as Error).message}`);
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.pragma(`cache_size = -${Math.trunc(opts.pageCacheKib ?? PAGE_CACHE_KIB)}`);
    try {
      sqliteVec.load(db);
    } catch (err) {
      throw new DatabaseOpenError(
        `sqlite-vec could not be loaded into SQLite (${(err as Error).message}); reinstall with \`npm ci\` on this platform`,
      );
    }
    migrate(db, migrations);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

export function migrate(db: Db, migrations: readonly Migration[]): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
  );
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').pluck();
  const done: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    // IMMEDIATE takes the write lock first, and the check is repeated under it: `disco serve` and
    // `disco worker` started together (a Procfile) must not both apply the same migration.
    const ran = db
      .transaction(() => {
        if (isApplied.get(m.version) !== undefined) return false;
        db.exec(m.sql);
        record.run(m.version, m.name, Date.now());
        return true;
      })
      .immediate();
    if (ran) done.push(m.version);
  }
  return done;
}

/** A cheap liveness probe for /health. */
/** Perf: one prepared probe per database (/health asks on every call; preparing is most of its cost). */
const probes = new WeakMap<Db, Database.Statement<[]>>();

export function checkDatabase(db: Db): { ok: boolean; latencyMs: number; error?: string } {
  const start = performance.now();
  try {
    let probe = probes.get(db);
    if (!probe) {
      probe = db.prepare<[]>('SELECT 1');
      probes.set(db, probe);
    }
    probe.get();
    return { ok: true, latencyMs: round(performance.now() - start) };
  } catch (err) {
    return { ok: false, latencyMs: round(performance.now() - start), error: (err as Error).message };
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

/** Loads the SQLite driver and sqlite-vec into a throwaway in-memory database (`disco doctor`). */
export function probeSqlite(): { sqlite: string; vec: string } {
  const db = new Database(':memory:');
  try {
    sqliteVec.load(db);
    const row = db.prepare('SELECT sqlite_version() AS sqlite, vec_version() AS vec').get() as {
      sqlite: string;
      vec: string;
    };
    return row;
  } finally {
    db.close();
  }
}

import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { MIGRATIONS, type Migration } from './migrations.js';

export type Db = Database.Database;

export class DatabaseOpenError extends Error {
  override name = 'DatabaseOpenError';
}

/**
 * Opens the state database: WAL for crash safety and concurrent readers, foreign keys on,
 * sqlite-vec loaded (the RAG index needs it; failing now beats failing on the first search),
 * then pending migrations applied.
 */
export function openDatabase(file: string, migrations: readonly Migration[] = MIGRATIONS): Db {
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

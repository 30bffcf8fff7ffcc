/**
 * Numbered migrations, applied in order at start-up, each in its own transaction.
 * Never edit a released migration: add the next number.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'users_and_containers',
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        is_admin INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE containers (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        owner_id TEXT NOT NULL REFERENCES users(id),
        runtime TEXT NOT NULL,
        template TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER NOT NULL,
        UNIQUE (owner_id, name)
      );
      CREATE INDEX containers_owner ON containers(owner_id, created_at);
    `,
  },
  {
    version: 2,
    name: 'processes',
    sql: `
      CREATE TABLE processes (
        id TEXT PRIMARY KEY,
        container_id TEXT NOT NULL,
        owner_id TEXT NOT NULL,
        command TEXT NOT NULL,
        shell INTEGER NOT NULL,
        cwd TEXT NOT NULL,
        status TEXT NOT NULL,
        pid INTEGER,
        exit_code INTEGER,
        signal TEXT,
        started_at INTEGER NOT NULL,
        ended_at INTEGER
      );
      CREATE INDEX processes_container ON processes(container_id, started_at);
    `,
  },
  {
    version: 3,
    name: 'container_network_and_pin',
    sql: `
      ALTER TABLE containers ADD COLUMN network INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE containers ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX containers_idle ON containers(last_used_at);
    `,
  },
  {
    version: 4,
    name: 'process_daemon_pid',
    sql: `
      ALTER TABLE processes ADD COLUMN daemon_pid INTEGER;
    `,
  },
];

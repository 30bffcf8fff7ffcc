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
  {
    version: 5,
    name: 'identity',
    sql: `
      ALTER TABLE users ADD COLUMN password_hash TEXT;
      ALTER TABLE users ADD COLUMN github_id INTEGER;
      ALTER TABLE users ADD COLUMN github_login TEXT;
      ALTER TABLE users ADD COLUMN github_token TEXT;
      ALTER TABLE users ADD COLUMN email TEXT;
      CREATE UNIQUE INDEX users_github ON users(github_id) WHERE github_id IS NOT NULL;

      -- Personal access tokens (the bootstrap admin token is one of them); only a SHA-256 of the secret is kept.
      CREATE TABLE access_tokens (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id),
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        hint TEXT NOT NULL,
        scopes TEXT NOT NULL,
        kind TEXT NOT NULL DEFAULT 'pat',
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        last_used_at INTEGER,
        revoked_at INTEGER
      );
      CREATE INDEX access_tokens_user ON access_tokens(user_id, created_at);

      -- Refresh tokens: rotated on every use; a family is every token descended from one sign-in, and an
      -- access token names its family (sid), so revoking the family cuts its access tokens off at once.
      CREATE TABLE refresh_tokens (
        token_hash TEXT PRIMARY KEY,
        family_id TEXT NOT NULL,
        user_id TEXT NOT NULL REFERENCES users(id),
        client_id TEXT,
        scopes TEXT NOT NULL,
        audience TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER,
        revoked_at INTEGER
      );
      CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);
      CREATE INDEX refresh_tokens_user ON refresh_tokens(user_id);

      CREATE TABLE oauth_clients (
        client_id TEXT PRIMARY KEY,
        secret_hash TEXT,
        name TEXT,
        metadata TEXT NOT NULL,
        source TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER
      );

      -- Authorization codes and in-flight browser logins (GitHub state, consent forms): single use, short-lived.
      CREATE TABLE oauth_grants (
        id_hash TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        data TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER
      );
      CREATE INDEX oauth_grants_expiry ON oauth_grants(expires_at);

      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        user_id TEXT,
        action TEXT NOT NULL,
        target TEXT,
        outcome TEXT NOT NULL,
        via TEXT,
        ip TEXT,
        user_agent TEXT,
        detail TEXT
      );
      CREATE INDEX audit_log_at ON audit_log(at);
      CREATE INDEX audit_log_user ON audit_log(user_id, at);
    `,
  },
  {
    // Version 5 is taken by identity and 7 by production work on other branches; versions apply by number.
    version: 6,
    name: 'rag_index',
    sql: `
      CREATE TABLE rag_indexes (
        id INTEGER PRIMARY KEY,
        container_id TEXT NOT NULL UNIQUE,
        embedder TEXT NOT NULL,
        dimension INTEGER NOT NULL,
        state TEXT NOT NULL,
        files INTEGER NOT NULL DEFAULT 0,
        chunks INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        started_at INTEGER,
        finished_at INTEGER,
        runner_pid INTEGER,
        heartbeat_at INTEGER,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE rag_files (
        index_id INTEGER NOT NULL REFERENCES rag_indexes(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        hash TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ms INTEGER NOT NULL,
        language TEXT NOT NULL,
        chunks INTEGER NOT NULL,
        PRIMARY KEY (index_id, path)
      ) WITHOUT ROWID;
      CREATE TABLE rag_chunks (
        id INTEGER PRIMARY KEY,
        index_id INTEGER NOT NULL REFERENCES rag_indexes(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        language TEXT NOT NULL,
        symbol TEXT,
        kind TEXT NOT NULL,
        start_line INTEGER NOT NULL,
        end_line INTEGER NOT NULL,
        hash TEXT NOT NULL,
        content TEXT NOT NULL,
        vector BLOB NOT NULL
      );
      CREATE INDEX rag_chunks_path ON rag_chunks(index_id, path);
    `,
  },
  {
    version: 7,
    name: 'job_lease_and_runs',
    sql: `
      CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        kind TEXT NOT NULL,
        priority INTEGER NOT NULL,
        pid INTEGER NOT NULL,
        acquired_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE TABLE job_runs (
        job TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        finished_at INTEGER,
        ok INTEGER,
        summary TEXT,
        runs INTEGER NOT NULL DEFAULT 0
      );
    `,
  },
  {
    // Network modes replace the on/off switch. An old "on" meant the host's namespace; it becomes the
    // policed default `egress` (host is an admin's explicit choice now). The old column stays, unused.
    version: 8,
    name: 'container_network_mode',
    sql: `
      ALTER TABLE containers ADD COLUMN network_mode TEXT NOT NULL DEFAULT 'egress'
        CHECK (network_mode IN ('off', 'egress', 'host'));
      UPDATE containers SET network_mode = CASE WHEN network = 0 THEN 'off' ELSE 'egress' END;
    `,
  },
  {
    version: 9,
    name: 'token_marks',
    sql: `
      -- Short-lived marks of the token endpoint: a spent refresh token's sealed successor (the grace window
      -- for racing refreshes), and the ids of client assertions already used (RFC 7523 single use).
      CREATE TABLE token_marks (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 10,
    name: 'preview_access',
    sql: `
      CREATE TABLE preview_access (
        token_hash TEXT PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        container_id TEXT NOT NULL,
        port INTEGER NOT NULL,
        owner_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER,
        revoked_at INTEGER
      );
      CREATE INDEX preview_access_owner ON preview_access(owner_id, kind, created_at);
    `,
  },
  {
    // A container's own egress domain lists, JSON {"allow": [...], "deny": [...]} (NULL: none). They only
    // narrow the global lists: the global deny list still applies, and a name must pass both allow lists.
    version: 11,
    name: 'container_egress_rules',
    sql: `ALTER TABLE containers ADD COLUMN egress_rules TEXT;`,
  },
  {
    // A container's runtime: `sandbox` (commands run on this host, in its bubblewrap sandbox when there is
    // one) or `webcontainer` (commands run in a browser page attached to the daemon; nothing runs here).
    // Every container before this one ran on the host (stored as 'local').
    version: 12,
    name: 'container_runtime',
    sql: `UPDATE containers SET runtime = 'sandbox' WHERE runtime <> 'webcontainer';`,
  },
  {
    // The tokenisation of a RAG index's FTS5 table (db/rag-rows.ts RAG_FTS_FORMAT). Indexes built before
    // are format 1: the daemon rebuilds them at its next start (rag/service.ts `resume`).
    version: 13,
    name: 'rag_fts_format',
    sql: `ALTER TABLE rag_indexes ADD COLUMN fts_format INTEGER NOT NULL DEFAULT 1;`,
  },
  {
    // A process started detached (exec background: true). It is not use of its container: the idle reaper
    // (in the daemon or `disco worker`) may stop a container whose only processes are background ones.
    version: 14,
    name: 'processes_background',
    sql: `ALTER TABLE processes ADD COLUMN background INTEGER NOT NULL DEFAULT 0;`,
  },
];

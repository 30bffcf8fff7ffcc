import { workspaceGlob } from '../workspace/glob-match.js';
import type { Db } from './open.js';

export type IndexState = 'indexing' | 'ready' | 'cancelled' | 'failed';

export interface IndexRow {
  id: number;
  containerId: string;
  embedder: string;
  dimension: number;
  state: IndexState;
  files: number;
  chunks: number;
  error: string | null;
  startedAt: number | null;
  finishedAt: number | null;
  runnerPid: number | null;
  heartbeatAt: number | null;
}

export interface FileState {
  hash: string;
  size: number;
  mtimeMs: number;
}

export interface NewChunk {
  path: string;
  language: string;
  symbol: string | null;
  kind: string;
  startLine: number;
  endLine: number;
  hash: string;
  content: string;
  /** Expanded code tokens for FTS5 (see tokens.ts): the whole chunk. */
  ftsBody: string;
  /** The symbol's name and the definition's signature line, expanded: BM25 weighs this column most. */
  ftsSymbol: string;
  /** The path's words, expanded. */
  ftsPath: string;
  vector: Buffer;
}

export interface FileUpdate {
  path: string;
  hash: string;
  size: number;
  mtimeMs: number;
  language: string;
  chunks: NewChunk[];
}

export interface ChunkRow {
  id: number;
  path: string;
  language: string;
  symbol: string | null;
  kind: string;
  startLine: number;
  endLine: number;
  content: string;
}

export interface SearchFilter {
  language?: string | undefined;
  /** A glob over workspace-relative paths (see workspace/glob-match.ts for the syntax). */
  pathGlob?: string | undefined;
}

const INDEX_COLUMNS = `id, container_id AS containerId, embedder, dimension, state, files, chunks, error,
  started_at AS startedAt, finished_at AS finishedAt, runner_pid AS runnerPid, heartbeat_at AS heartbeatAt`;

const CHUNK_COLUMNS = `id, path, language, symbol, kind, start_line AS startLine, end_line AS endLine, content`;

/** Table names are built from an integer id only, never from input. */
const ftsTable = (id: number) => `rag_fts_${Math.trunc(id)}`;
const vecTable = (id: number) => `rag_vec_${Math.trunc(id)}`;

/**
 * SQL of the RAG index: per-container rows in rag_indexes/rag_files/rag_chunks, plus two virtual tables
 * per index, created with the embedder's dimension: FTS5 over expanded code tokens (contentless, rows
 * deletable) and a sqlite-vec vec0 table of binary-quantised vectors keyed by chunk rowid.
 */
export class RagRepo {
  private readonly globs = new Map<string, (p: string) => boolean>();
  /**
   * Perf: prepared once. Every workspace change asks for the container's index (rag `changed`), and
   * preparing this statement each time cost ~0.7 ms of event-loop time per file write under load.
   */
  private readonly indexOf;

  constructor(private readonly db: Db) {
    this.indexOf = db.prepare(`SELECT ${INDEX_COLUMNS} FROM rag_indexes WHERE container_id = ?`);
    // Path filters run inside SQL so LIMIT applies after filtering.
    db.function('rag_glob', { deterministic: true }, (pattern: unknown, path: unknown) =>
      this.matcher(String(pattern))(String(path)) ? 1 : 0,
    );
  }

  matcher(pattern: string): (p: string) => boolean {
    let m = this.globs.get(pattern);
    if (!m) {
      // Security: a linear-time matcher, as client globs run here once per row inside SQL. Perf: chunks
      // of one file share a path, so each distinct path is matched once.
      const glob = workspaceGlob(pattern);
      const known = new Map<string, boolean>();
      m = (p: string) => {
        let hit = known.get(p);
        if (hit === undefined) {
          hit = glob(p);
          if (known.size < 50_000) known.set(p, hit);
        }
        return hit;
      };
      if (this.globs.size > 100) this.globs.clear();
      this.globs.set(pattern, m);
    }
    return m;
  }

  getIndex(containerId: string): IndexRow | undefined {
    return this.indexOf.get(containerId) as IndexRow | undefined;
  }

  listIndexes(): (IndexRow & { ownerId: string | null })[] {
    return this.db
      .prepare(
        `SELECT ${INDEX_COLUMNS.replace(/(^|, )(\w+)/g, '$1i.$2')}, c.owner_id AS ownerId
         FROM rag_indexes i LEFT JOIN containers c ON c.id = i.container_id`,
      )
      .all() as (IndexRow & { ownerId: string | null })[];
  }

  /** Creates the index row and its virtual tables, or resets them when the embedder changed. */
  ensureIndex(containerId: string, embedder: string, dimension: number): IndexRow {
    return this.db.transaction(() => {
      const existing = this.getIndex(containerId);
      if (existing && existing.embedder === embedder && existing.dimension === dimension) return existing;
      let id: number;
      if (existing) {
        id = existing.id;
        this.dropTables(id);
        this.db.prepare('DELETE FROM rag_chunks WHERE index_id = ?').run(id);
        this.db.prepare('DELETE FROM rag_files WHERE index_id = ?').run(id);
        this.db
          .prepare('UPDATE rag_indexes SET embedder = ?, dimension = ?, files = 0, chunks = 0 WHERE id = ?')
          .run(embedder, dimension, id);
      } else {
        id = Number(
          this.db
            .prepare(
              `INSERT INTO rag_indexes (container_id, embedder, dimension, state, created_at) VALUES (?, ?, ?, 'indexing', ?)`,
            )
            .run(containerId, embedder, dimension, Date.now()).lastInsertRowid,
        );
      }
      const dim = Math.trunc(dimension);
      if (dim <= 0 || dim % 8 !== 0)
        throw new Error(`vector dimension must be a positive multiple of 8 (got ${dimension})`);
      this.db.exec(
        `CREATE VIRTUAL TABLE ${ftsTable(id)} USING fts5(symbol, path, body, content='', contentless_delete=1,
           tokenize="porter unicode61 tokenchars '_'")`,
      );
      this.db.exec(`CREATE VIRTUAL TABLE ${vecTable(id)} USING vec0(embedding bit[${dim}], language text)`);
      return this.getIndex(containerId) as IndexRow;
    })();
  }

  private dropTables(id: number): void {
    this.db.exec(`DROP TABLE IF EXISTS ${ftsTable(id)}; DROP TABLE IF EXISTS ${vecTable(id)}`);
  }

  dropIndex(containerId: string): boolean {
    return this.db.transaction(() => {
      const row = this.getIndex(containerId);
      if (!row) return false;
      this.dropTables(row.id);
      this.db.prepare('DELETE FROM rag_chunks WHERE index_id = ?').run(row.id);
      this.db.prepare('DELETE FROM rag_files WHERE index_id = ?').run(row.id);
      this.db.prepare('DELETE FROM rag_indexes WHERE id = ?').run(row.id);
      return true;
    })();
  }

  markRunning(id: number, pid: number): void {
    this.db
      .prepare(
        `UPDATE rag_indexes SET state = 'indexing', error = NULL, started_at = ?, finished_at = NULL,
         runner_pid = ?, heartbeat_at = ? WHERE id = ?`,
      )
      .run(Date.now(), pid, Date.now(), id);
  }

  /** Left for the next daemon start to resume. */
  markInterrupted(id: number): void {
    this.db.prepare(`UPDATE rag_indexes SET state = 'indexing', runner_pid = NULL WHERE id = ?`).run(id);
  }

  heartbeat(id: number): void {
    this.db.prepare('UPDATE rag_indexes SET heartbeat_at = ? WHERE id = ?').run(Date.now(), id);
  }

  finish(id: number, state: Exclude<IndexState, 'indexing'>, error?: string): void {
    this.db
      .prepare(
        `UPDATE rag_indexes SET state = @state, error = @error, finished_at = @now, runner_pid = NULL,
         files = (SELECT count(*) FROM rag_files WHERE index_id = @id),
         chunks = (SELECT count(*) FROM rag_chunks WHERE index_id = @id) WHERE id = @id`,
      )
      .run({ id, state, error: error ?? null, now: Date.now() });
  }

  fileStates(id: number): Map<string, FileState> {
    const rows = this.db
      .prepare('SELECT path, hash, size, mtime_ms AS mtimeMs FROM rag_files WHERE index_id = ?')
      .all(id) as (FileState & { path: string })[];
    return new Map(rows.map((r) => [r.path, { hash: r.hash, size: r.size, mtimeMs: r.mtimeMs }]));
  }

  /** Vectors of a file's current chunks by content hash, so unchanged chunks of an edited file are not re-embedded. */
  vectorsByHash(id: number, path: string): Map<string, Buffer> {
    const rows = this.db
      .prepare('SELECT hash, vector FROM rag_chunks WHERE index_id = ? AND path = ?')
      .all(id, path) as { hash: string; vector: Buffer }[];
    return new Map(rows.map((r) => [r.hash, r.vector]));
  }

  /** Only the modification time changed (same content): no re-chunking. */
  touchFile(id: number, path: string, size: number, mtimeMs: number): void {
    this.db
      .prepare('UPDATE rag_files SET size = ?, mtime_ms = ? WHERE index_id = ? AND path = ?')
      .run(size, mtimeMs, id, path);
  }

  /**
   * One batch in one transaction: files replaced (old chunks out of all three tables, new ones in) and
   * files removed. A crash leaves either the whole batch or none of it.
   */
  writeBatch(id: number, updates: readonly FileUpdate[], deleted: readonly string[]): void {
    const fts = ftsTable(id);
    const vec = vecTable(id);
    const chunkIds = this.db.prepare('SELECT id FROM rag_chunks WHERE index_id = ? AND path = ?').pluck();
    const delFts = this.db.prepare(`DELETE FROM ${fts} WHERE rowid = ?`);
    const delVec = this.db.prepare(`DELETE FROM ${vec} WHERE rowid = ?`);
    const delChunks = this.db.prepare('DELETE FROM rag_chunks WHERE index_id = ? AND path = ?');
    const delFile = this.db.prepare('DELETE FROM rag_files WHERE index_id = ? AND path = ?');
    const insChunk = this.db.prepare(
      `INSERT INTO rag_chunks (index_id, path, language, symbol, kind, start_line, end_line, hash, content, vector)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insFts = this.db.prepare(`INSERT INTO ${fts} (rowid, symbol, path, body) VALUES (?, ?, ?, ?)`);
    const insVec = this.db.prepare(
      `INSERT INTO ${vec} (rowid, embedding, language) VALUES (?, vec_quantize_binary(?), ?)`,
    );
    const upFile = this.db.prepare(
      `INSERT OR REPLACE INTO rag_files (index_id, path, hash, size, mtime_ms, language, chunks) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    const removeFile = (path: string) => {
      for (const cid of chunkIds.all(id, path) as number[]) {
        delFts.run(cid);
        delVec.run(BigInt(cid));
      }
      delChunks.run(id, path);
    };
    this.db.transaction(() => {
      for (const path of deleted) {
        removeFile(path);
        delFile.run(id, path);
      }
      for (const f of updates) {
        removeFile(f.path);
        for (const c of f.chunks) {
          const cid = insChunk.run(
            id,
            c.path,
            c.language,
            c.symbol,
            c.kind,
            c.startLine,
            c.endLine,
            c.hash,
            c.content,
            c.vector,
          ).lastInsertRowid;
          insFts.run(cid, c.ftsSymbol, c.ftsPath, c.ftsBody);
          // sqlite-vec: vec0 rowids must be BigInt through better-sqlite3.
          insVec.run(BigInt(cid), c.vector, c.language);
        }
        upFile.run(id, f.path, f.hash, f.size, f.mtimeMs, f.language, f.chunks.length);
      }
      this.db.prepare('UPDATE rag_indexes SET heartbeat_at = ? WHERE id = ?').run(Date.now(), id);
    })();
  }

  /** BM25 over the FTS5 table, best (lowest) first; `weights` of the symbol, path and body columns. */
  bm25(
    id: number,
    match: string,
    limit: number,
    filter: SearchFilter,
    weights: { symbol: number; path: number; body: number },
  ): { id: number; score: number }[] {
    const fts = ftsTable(id);
    const w = [weights.symbol, weights.path, weights.body].map((x) => Number(x).toFixed(3)).join(', ');
    const filtered = filter.language !== undefined || filter.pathGlob !== undefined;
    const sql = filtered
      ? `SELECT ${fts}.rowid AS id, bm25(${fts}, ${w}) AS score FROM ${fts}
         JOIN rag_chunks c ON c.id = ${fts}.rowid
         WHERE ${fts} MATCH @match${filter.language !== undefined ? ' AND c.language = @language' : ''}${
           filter.pathGlob !== undefined ? ' AND rag_glob(@glob, c.path)' : ''
         }
         ORDER BY score LIMIT @limit`
      : `SELECT rowid AS id, bm25(${fts}, ${w}) AS score FROM ${fts} WHERE ${fts} MATCH @match ORDER BY score LIMIT @limit`;
    return this.db.prepare(sql).all({
      match,
      limit,
      ...(filter.language !== undefined ? { language: filter.language } : {}),
      ...(filter.pathGlob !== undefined ? { glob: filter.pathGlob } : {}),
    }) as { id: number; score: number }[];
  }

  /** Coarse nearest neighbours by Hamming distance over the binary-quantised vectors in vec0. */
  knnCoarse(id: number, query: Buffer, k: number, language?: string): number[] {
    const rows = this.db
      .prepare(
        `SELECT rowid AS id FROM ${vecTable(id)} WHERE embedding MATCH vec_quantize_binary(?) AND k = ?${
          language !== undefined ? ' AND language = ?' : ''
        }`,
      )
      .all(query, k, ...(language !== undefined ? [language] : [])) as { id: number | bigint }[];
    return rows.map((r) => Number(r.id));
  }

  /**
   * Full-precision vectors (and paths) of some chunks, for exact re-scoring. Perf: one statement for
   * the whole list (json_each), not one per id — a hybrid search asks for ~150 rows.
   */
  vectors(ids: readonly number[]): { id: number; path: string; language: string; vector: Buffer }[] {
    if (ids.length === 0) return [];
    return this.db
      .prepare('SELECT id, path, language, vector FROM rag_chunks WHERE id IN (SELECT value FROM json_each(?))')
      .all(JSON.stringify(ids)) as { id: number; path: string; language: string; vector: Buffer }[];
  }

  /** Chunks of the files matching a filter, when there are few enough to score them all exactly. */
  vectorsWhere(
    id: number,
    filter: SearchFilter,
    max: number,
  ): { id: number; path: string; language: string; vector: Buffer }[] | undefined {
    const glob = filter.pathGlob;
    const paths = this.db
      .prepare(
        `SELECT path, chunks FROM rag_files WHERE index_id = @id${glob !== undefined ? ' AND rag_glob(@glob, path)' : ''}${
          filter.language !== undefined ? ' AND language = @language' : ''
        }`,
      )
      .all({
        id,
        ...(glob !== undefined ? { glob } : {}),
        ...(filter.language !== undefined ? { language: filter.language } : {}),
      }) as {
      path: string;
      chunks: number;
    }[];
    const total = paths.reduce((s, p) => s + p.chunks, 0);
    if (total > max) return undefined;
    const st = this.db.prepare('SELECT id, path, language, vector FROM rag_chunks WHERE index_id = ? AND path = ?');
    return paths.flatMap((p) => st.all(id, p.path) as { id: number; path: string; language: string; vector: Buffer }[]);
  }

  chunks(ids: readonly number[]): Map<number, ChunkRow> {
    if (ids.length === 0) return new Map();
    const rows = this.db
      .prepare(`SELECT ${CHUNK_COLUMNS} FROM rag_chunks WHERE id IN (SELECT value FROM json_each(?))`)
      .all(JSON.stringify(ids)) as ChunkRow[];
    return new Map(rows.map((r) => [r.id, r]));
  }

  chunkAt(id: number, path: string, startLine: number, endLine: number): ChunkRow | undefined {
    return this.db
      .prepare(
        `SELECT ${CHUNK_COLUMNS} FROM rag_chunks WHERE index_id = ? AND path = ? AND start_line = ? AND end_line = ?`,
      )
      .get(id, path, startLine, endLine) as ChunkRow | undefined;
  }

  /** Row counts of the four stores; equal chunk counts mean the index is consistent. */
  counts(id: number): { files: number; chunks: number; fts: number; vectors: number } {
    const one = (sql: string, ...args: unknown[]) =>
      Number(
        this.db
          .prepare(sql)
          .pluck()
          .get(...args),
      );
    return {
      files: one('SELECT count(*) FROM rag_files WHERE index_id = ?', id),
      chunks: one('SELECT count(*) FROM rag_chunks WHERE index_id = ?', id),
      fts: one(`SELECT count(*) FROM ${ftsTable(id)}_docsize`),
      vectors: one(`SELECT count(*) FROM ${vecTable(id)}_rowids`),
    };
  }
}

import type { Db } from './open.js';
import {
  type FileState,
  type FileUpdate,
  ftsTable,
  INDEX_COLUMNS,
  type IndexRow,
  type IndexState,
  RAG_FTS_FORMAT,
  vecTable,
} from './rag-rows.js';
import { RagSearchRepo } from './rag-search-repo.js';

export * from './rag-rows.js';
export { RagSearchRepo } from './rag-search-repo.js';

/**
 * Page cache of the RAG connections, KiB (better-sqlite3's default, 16 MB), where the daemon's main one keeps
 * SQLite's 2 MB (db/open.ts). A search at 109k chunks reads the FTS5 doclists and the vec0 table again and
 * again: with 2 MB, hybrid p50 was 6 ms (12 %) slower there. The search connection opens with the first
 * search, so its cache fills only on a daemon whose users search; the indexer's closes when its pass ends.
 */
export const RAG_PAGE_CACHE_KIB = 16_000;

/**
 * SQL of the RAG index: per-container rows in rag_indexes/rag_files/rag_chunks, plus two virtual tables
 * per index, created with the embedder's dimension: FTS5 over expanded code tokens (contentless, rows
 * deletable) and a sqlite-vec vec0 table of binary-quantised vectors keyed by chunk rowid.
 */
export class RagRepo {
  private searchReads: RagSearchRepo | undefined;
  private searchDb: Db | undefined;
  /**
   * Perf: prepared once. Every workspace change asks for the container's index (rag `changed`), and
   * preparing this statement each time cost ~0.7 ms of event-loop time per file write under load.
   */
  private readonly indexOf;

  /**
   * `openSearchDb`: a connection of its own for searches, opened on the first one (see
   * RAG_PAGE_CACHE_KIB); without it searches read through `db`.
   */
  constructor(
    private readonly db: Db,
    private openSearchDb?: () => Db,
  ) {
    this.indexOf = db.prepare(`SELECT ${INDEX_COLUMNS} FROM rag_indexes WHERE container_id = ?`);
  }

  /** The reads of a search over these indexes. */
  get reads(): RagSearchRepo {
    if (!this.searchReads) {
      this.searchDb = this.openSearchDb?.();
      this.searchReads = new RagSearchRepo(this.searchDb ?? this.db);
    }
    return this.searchReads;
  }

  /** Closes the search connection, if one was opened (the main one belongs to the caller). */
  closeSearch(): void {
    this.openSearchDb = undefined; // closed for good: a late search reads through `db`
    this.searchDb?.close();
    this.searchDb = undefined;
    this.searchReads = undefined;
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

  /** Creates the index row and its virtual tables, or resets them when the embedder or the FTS format changed. */
  ensureIndex(containerId: string, embedder: string, dimension: number): IndexRow {
    return this.db.transaction(() => {
      const existing = this.getIndex(containerId);
      if (
        existing &&
        existing.embedder === embedder &&
        existing.dimension === dimension &&
        existing.ftsFormat === RAG_FTS_FORMAT
      )
        return existing;
      let id: number;
      if (existing) {
        id = existing.id;
        this.dropTables(id);
        this.db.prepare('DELETE FROM rag_chunks WHERE index_id = ?').run(id);
        this.db.prepare('DELETE FROM rag_files WHERE index_id = ?').run(id);
        this.db
          .prepare(
            'UPDATE rag_indexes SET embedder = ?, dimension = ?, fts_format = ?, files = 0, chunks = 0 WHERE id = ?',
          )
          .run(embedder, dimension, RAG_FTS_FORMAT, id);
      } else {
        id = Number(
          this.db
            .prepare(
              `INSERT INTO rag_indexes (container_id, embedder, dimension, fts_format, state, created_at)
               VALUES (?, ?, ?, ?, 'indexing', ?)`,
            )
            .run(containerId, embedder, dimension, RAG_FTS_FORMAT, Date.now()).lastInsertRowid,
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
    // Perf, kept on purpose: the REPLACE (and the DELETE below) run in statement savepoints, at each of
    // which FTS5 writes its pending terms out, so a batch flushes once per file. An upsert without them cut
    // the writes' CPU by 24 %, but the FTS5 segments it left made BM25 at 109k chunks 7–12 % slower at
    // p95 (docs/rag.md): measure search too before changing this.
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

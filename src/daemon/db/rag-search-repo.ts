import { workspaceGlob } from '../workspace/glob-match.js';
import type { Db } from './open.js';
import { CHUNK_COLUMNS, type ChunkRow, ftsTable, type SearchFilter, vecTable } from './rag-rows.js';

/** How BM25 ranks: column weights and the glue chunks' factor (rag/ranking.ts holds the values). */
export interface Bm25Ranking {
  weights: Readonly<{ symbol: number; path: number; body: number }>;
  glue: number;
}

/** The reads of a search: BM25 candidates, vector candidates and their vectors, chunks by id. */
export class RagSearchRepo {
  private readonly globs = new Map<string, (p: string) => boolean>();

  constructor(private readonly db: Db) {
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

  /**
   * BM25 over the FTS5 table, best (lowest) first: `weights` of the symbol, path and body columns, and
   * `glue`, the factor of a glue chunk's score (no symbol: imports, exports, top-level statements). Perf:
   * without a filter, FTS5 ranks alone and only its best 2 × limit rows are joined to learn which are glue.
   */
  bm25(
    id: number,
    match: string,
    limit: number,
    filter: SearchFilter,
    ranking: Bm25Ranking,
  ): { id: number; score: number }[] {
    const fts = ftsTable(id);
    const { weights } = ranking;
    const w = [weights.symbol, weights.path, weights.body].map((x) => Number(x).toFixed(3)).join(', ');
    const prior = `(CASE WHEN c.symbol IS NULL AND c.kind = 'code' THEN ${Number(ranking.glue).toFixed(3)} ELSE 1 END)`;
    const filtered = filter.language !== undefined || filter.pathGlob !== undefined;
    const sql = filtered
      ? `SELECT ${fts}.rowid AS id, bm25(${fts}, ${w}) * ${prior} AS score FROM ${fts}
         JOIN rag_chunks c ON c.id = ${fts}.rowid
         WHERE ${fts} MATCH @match${filter.language !== undefined ? ' AND c.language = @language' : ''}${
           filter.pathGlob !== undefined ? ' AND rag_glob(@glob, c.path)' : ''
         }
         ORDER BY score LIMIT @limit`
      : `SELECT f.id AS id, f.score * ${prior} AS score
         FROM (SELECT rowid AS id, bm25(${fts}, ${w}) AS score FROM ${fts} WHERE ${fts} MATCH @match
               ORDER BY score LIMIT @over) f
         JOIN rag_chunks c ON c.id = f.id ORDER BY score LIMIT @limit`;
    return this.db.prepare(sql).all({
      match,
      limit,
      ...(filtered ? {} : { over: limit * 2 }),
      ...(filter.language !== undefined ? { language: filter.language } : {}),
      ...(filter.pathGlob !== undefined ? { glob: filter.pathGlob } : {}),
    }) as { id: number; score: number }[];
  }

  /** How many chunks of the index hold `term` (a query term: word characters only, as tokens.ts makes them). */
  termDocs(id: number, term: string): number {
    const fts = ftsTable(id);
    const row = this.db.prepare(`SELECT count(*) AS n FROM ${fts} WHERE ${fts} MATCH ?`).get(`"${term}"`) as {
      n: number;
    };
    return row.n;
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
}

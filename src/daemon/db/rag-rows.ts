/**
 * Rows, inputs and table names of the RAG index, shared by its two repositories: `rag-repo.ts` (index
 * lifecycle and writes, used by the indexer) and `rag-search-repo.ts` (the reads a search makes).
 */

/**
 * What the FTS5 table holds and how it is tokenised (tokens.ts: identifier parts and sub-compounds,
 * import lines left out of the body). An index built with another format is rebuilt by its next pass,
 * which the daemon starts itself at start-up (rag/service.ts `resume`).
 */
export const RAG_FTS_FORMAT = 2;

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
  /** RAG_FTS_FORMAT of the index's FTS5 table. */
  ftsFormat: number;
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

/** A stored chunk as search reads it back (CHUNK_COLUMNS). */
export type ChunkRow = { id: number } & Pick<
  NewChunk,
  'path' | 'language' | 'symbol' | 'kind' | 'startLine' | 'endLine' | 'content'
>;

export interface SearchFilter {
  language?: string | undefined;
  /** A glob over workspace-relative paths (see workspace/glob-match.ts for the syntax). */
  pathGlob?: string | undefined;
}

export const INDEX_COLUMNS = `id, container_id AS containerId, embedder, dimension, state, files, chunks, error,
  started_at AS startedAt, finished_at AS finishedAt, runner_pid AS runnerPid, heartbeat_at AS heartbeatAt,
  fts_format AS ftsFormat`;

export const CHUNK_COLUMNS = `id, path, language, symbol, kind, start_line AS startLine, end_line AS endLine, content`;

/** Table names are built from an integer id only, never from input. */
export const ftsTable = (id: number) => `rag_fts_${Math.trunc(id)}`;
export const vecTable = (id: number) => `rag_vec_${Math.trunc(id)}`;

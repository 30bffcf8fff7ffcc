import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../db/open.js';
import { RAG_PAGE_CACHE_KIB } from '../db/rag-repo.js';
import type { IndexRow } from '../db/rag-rows.js';
import { RagSearchRepo } from '../db/rag-search-repo.js';
import { DiscoError } from '../errors.js';
import { createEmbedder, type EmbedderSpec } from './embedder.js';
import type { Ranking } from './ranking.js';
import { HybridSearch, type SearchOptions, type SearchResult } from './search.js';
import { localVectorHalf } from './vector-half.js';
import { threadedVectorHalf } from './vector-thread.js';

/** What the daemon hands the search thread. */
export interface SearchWorkerInput {
  dbFile: string;
  embedder: EmbedderSpec;
}

/** Daemon → thread. */
export type SearchRequest =
  | {
      type: 'search';
      id: number;
      row: IndexRow | undefined;
      query: string;
      opts: SearchOptions;
      ranking: Ranking | undefined;
    }
  | { type: 'cancel'; id: number };

/** Thread → daemon: one answer per search. */
export type SearchReply =
  | { id: number; ok: true; result: SearchResult }
  | { id: number; ok: false; code: string; message: string; details?: Record<string, unknown> };

/**
 * Search thread entry. Perf: a hybrid search at 100k chunks is tens of milliseconds of synchronous SQLite
 * (FTS5, vec0) and scoring; on the daemon's event loop that stalled every other request meanwhile. Here it
 * stalls only the searches queued behind it. The thread has its own read connection to the same file (WAL)
 * and its own embedder (the static table is read once, here); only the daemon runs migrations.
 */
function main(): void {
  const port = parentPort;
  if (!port) return;
  const input = workerData as SearchWorkerInput;
  const db = openDatabase(input.dbFile, [], { pageCacheKib: RAG_PAGE_CACHE_KIB });
  const repo = new RagSearchRepo(db);
  const embedder = createEmbedder(input.embedder);
  // The vector half of each search runs in a thread of its own while this one runs the keyword half.
  const search = new HybridSearch(repo, embedder, threadedVectorHalf(input, localVectorHalf(repo, embedder)));
  const running = new Map<number, AbortController>();
  port.on('message', (m: SearchRequest) => {
    if (m.type === 'cancel') return void running.get(m.id)?.abort();
    const controller = new AbortController();
    running.set(m.id, controller);
    search
      .search(m.row, m.query, m.opts, controller.signal, m.ranking)
      .then(
        (result): SearchReply => ({ id: m.id, ok: true, result }),
        (err: unknown): SearchReply => {
          if (err instanceof DiscoError) {
            return {
              id: m.id,
              ok: false,
              code: err.code,
              message: err.message,
              ...(err.details ? { details: err.details } : {}),
            };
          }
          return { id: m.id, ok: false, code: 'internal', message: (err as Error)?.message ?? String(err) };
        },
      )
      .then((reply) => {
        running.delete(m.id);
        port.postMessage(reply);
      });
  });
}

main();

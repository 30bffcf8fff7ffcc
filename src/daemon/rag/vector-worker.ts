import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../db/open.js';
import { RAG_PAGE_CACHE_KIB } from '../db/rag-repo.js';
import type { IndexRow, SearchFilter } from '../db/rag-rows.js';
import { RagSearchRepo } from '../db/rag-search-repo.js';
import { createEmbedder } from './embedder.js';
import type { SearchWorkerInput } from './search-worker.js';
import { localVectorHalf, type VectorHalf } from './vector-half.js';

/** Search thread → vector thread. */
export type VectorRequest =
  | { type: 'half'; id: number; row: IndexRow; query: string; n: number; filter: SearchFilter }
  | { type: 'cancel'; id: number };

/** Vector thread → search thread: one answer per request (a failure's text only; the caller decides). */
export type VectorReply = { id: number; ok: true; half: VectorHalf } | { id: number; ok: false; message: string };

/**
 * Vector thread entry, started by the search thread (vector-thread.ts). Perf: a hybrid search's two halves
 * (FTS5's BM25 and vec0's KNN with exact re-scoring) are each tens of milliseconds of synchronous SQLite at
 * 100k chunks; here the vector half runs while the search thread runs the keyword half, on the other core.
 * Own read connection (WAL) and own embedder, as the search thread has.
 */
function main(): void {
  const port = parentPort;
  if (!port) return;
  const input = workerData as SearchWorkerInput;
  const db = openDatabase(input.dbFile, [], { pageCacheKib: RAG_PAGE_CACHE_KIB });
  const half = localVectorHalf(new RagSearchRepo(db), createEmbedder(input.embedder));
  const running = new Map<number, AbortController>();
  port.on('message', (m: VectorRequest) => {
    if (m.type === 'cancel') return void running.get(m.id)?.abort();
    const controller = new AbortController();
    running.set(m.id, controller);
    half(m.row, m.query, m.n, m.filter, controller.signal)
      .then(
        (h): VectorReply => ({ id: m.id, ok: true, half: h }),
        (err: unknown): VectorReply => ({ id: m.id, ok: false, message: (err as Error)?.message ?? String(err) }),
      )
      .then((reply) => {
        running.delete(m.id);
        port.postMessage(reply);
      });
  });
}

main();

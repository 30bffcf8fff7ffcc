import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../db/open.js';
import { RAG_PAGE_CACHE_KIB, RagRepo } from '../db/rag-repo.js';
import { DiscoError } from '../errors.js';
import { type IndexJobInput, runIndexJob } from './index-job.js';

/** What the daemon hands the worker. */
export interface WorkerInput extends IndexJobInput {
  dbFile: string;
}

/** Messages from the worker; the daemon sends `{ type: 'cancel' }` the other way. */
export type WorkerMessage =
  | { type: 'progress'; progress: import('./index-job.js').JobProgress }
  | { type: 'done'; progress: import('./index-job.js').JobProgress; cancelled: boolean }
  | { type: 'error'; code: string; message: string };

/**
 * Worker thread entry: indexing parses, hashes and embeds for seconds to minutes, so it runs off the
 * daemon's event loop. The worker opens its own connection to the same SQLite file (WAL: the daemon keeps
 * reading and writing meanwhile); only the daemon runs migrations.
 */
async function main(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const input = workerData as WorkerInput;
  const controller = new AbortController();
  port.on('message', (m: { type?: string }) => {
    if (m?.type === 'cancel') controller.abort();
  });
  const post = (m: WorkerMessage) => port.postMessage(m);
  // A pass rewrites the index's B-trees: the RAG connections' page cache, closed with the pass.
  const db = openDatabase(input.dbFile, [], { pageCacheKib: RAG_PAGE_CACHE_KIB });
  try {
    const repo = new RagRepo(db);
    const progress = await runIndexJob(repo, input, (p) => post({ type: 'progress', progress: p }), controller.signal);
    post({ type: 'done', progress, cancelled: controller.signal.aborted });
  } catch (err) {
    if (controller.signal.aborted) {
      post({ type: 'error', code: 'cancelled', message: 'cancelled' });
    } else {
      const e = err instanceof DiscoError ? err : undefined;
      post({
        type: 'error',
        code: e?.code ?? 'internal',
        message: e?.message ?? (err as Error).message ?? String(err),
      });
    }
  } finally {
    db.close();
    port.close();
  }
}

void main();

import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../db/open.js';
import { RagRepo } from '../db/rag-repo.js';
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

/** The indexer's page cache, KiB: the driver's 16 MB (see PAGE_CACHE_KIB in db/open.ts for the daemon's). */
const INDEXER_PAGE_CACHE_KIB = 16000;

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
  // The driver's 16 MB page cache, as before the daemon's own connection was bounded: a pass rewrites the
  // index's B-trees, and this connection (its cache with it) closes when the pass ends.
  const db = openDatabase(input.dbFile, [], { pageCacheKib: INDEXER_PAGE_CACHE_KIB });
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

import { Worker } from 'node:worker_threads';
import { workerScript } from '../worker-script.js';
import type { SearchWorkerInput } from './search-worker.js';
import type { VectorHalf, VectorHalfRunner } from './vector-half.js';
import type { VectorReply, VectorRequest } from './vector-worker.js';

interface Pending {
  resolve: (h: VectorHalf) => void;
  reject: (err: Error) => void;
}

/** The vector thread failed or ended under a request: the caller runs the half itself. */
class ThreadLost extends Error {}

/**
 * The search thread's way to run the vector half of its searches in another thread (vector-worker.ts),
 * started with the first one. Whatever goes wrong with that thread (it cannot start, it dies), the half runs
 * here instead: the answer is the same, only later. The thread ends with the search thread.
 */
export function threadedVectorHalf(input: SearchWorkerInput, local: VectorHalfRunner): VectorHalfRunner {
  let worker: Worker | undefined;
  let seq = 0;
  const pending = new Map<number, Pending>();
  const thread = (): Worker => {
    if (worker) return worker;
    const w = new Worker(workerScript('rag/vector-worker.js'), {
      workerData: input,
      resourceLimits: SEARCH_THREAD_LIMITS,
    });
    w.on('message', (reply: VectorReply) => {
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      if (reply.ok) p.resolve(reply.half);
      else p.reject(new Error(reply.message));
    });
    const lost = () => {
      if (worker !== w) return;
      worker = undefined;
      const held = [...pending.values()];
      pending.clear();
      for (const p of held) p.reject(new ThreadLost());
    };
    w.on('error', lost);
    w.on('exit', lost);
    w.unref();
    worker = w;
    return w;
  };
  return async (row, query, n, filter, signal) => {
    let w: Worker;
    try {
      w = thread();
    } catch {
      return local(row, query, n, filter, signal);
    }
    const id = ++seq;
    const onAbort = () => w.postMessage({ type: 'cancel', id } satisfies VectorRequest);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await new Promise<VectorHalf>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        w.postMessage({ type: 'half', id, row, query, n, filter } satisfies VectorRequest);
      });
    } catch (err) {
      if (err instanceof ThreadLost) return local(row, query, n, filter, signal);
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  };
}

/**
 * The search and vector threads' young generation (V8's default lets it grow to 32 MB): a search allocates
 * a few MB, and a thread kept for five quiet minutes after its last search held a full one meanwhile —
 * the search thread's was ~29 MB during the bench's 109k-chunk build, part of the pass's peak RSS. At 12 MB
 * (4 MB semi-spaces) it holds ~8 MB; search latency at 14k and 109k chunks did not change.
 */
export const SEARCH_THREAD_LIMITS = { maxYoungGenerationSizeMb: 12 } as const;

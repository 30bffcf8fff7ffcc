import { Worker } from 'node:worker_threads';
import type { IndexRow } from '../db/rag-rows.js';
import { DiscoError, type ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { workerScript } from '../worker-script.js';
import type { Ranking } from './ranking.js';
import type { SearchOptions, SearchResult } from './search.js';
import type { SearchReply, SearchRequest, SearchWorkerInput } from './search-worker.js';
import { SEARCH_THREAD_LIMITS } from './vector-thread.js';

/** A thread nobody searched with for this long ends (its memory and connection go with it). */
const IDLE_MS = 5 * 60_000;

interface Pending {
  resolve: (r: SearchResult) => void;
  reject: (err: Error) => void;
}

/**
 * Runs searches in a worker thread (search-worker.ts), started on the first search and ended after a quiet
 * while. A thread that dies fails the searches it held with `unavailable`; the next search starts another.
 */
export class SearchThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private idle: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly input: SearchWorkerInput,
    private readonly log: Logger,
  ) {}

  search(
    row: IndexRow | undefined,
    query: string,
    opts: SearchOptions,
    signal?: AbortSignal,
    ranking?: Ranking,
  ): Promise<SearchResult> {
    if (this.closed) return Promise.reject(new DiscoError('unavailable', 'the daemon is shutting down'));
    const worker = this.thread();
    const id = ++this.seq;
    clearTimeout(this.idle);
    return new Promise<SearchResult>((resolve, reject) => {
      const onAbort = () => worker.postMessage({ type: 'cancel', id } satisfies SearchRequest);
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => {
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(id);
        if (this.pending.size === 0) this.idleSoon();
      };
      this.pending.set(id, {
        resolve: (r) => {
          done();
          resolve(r);
        },
        reject: (err) => {
          done();
          reject(err);
        },
      });
      worker.postMessage({ type: 'search', id, row, query, opts, ranking } satisfies SearchRequest);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idle);
    await this.stop();
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(workerScript('rag/search-worker.js'), {
      workerData: this.input,
      resourceLimits: SEARCH_THREAD_LIMITS,
    });
    worker.on('message', (reply: SearchReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      if (reply.ok) return p.resolve(reply.result);
      // An unexpected error keeps its text out of answers: the daemon's error mapping logs it and says less.
      p.reject(
        reply.code === 'internal'
          ? new Error(reply.message)
          : new DiscoError(reply.code as ErrorCode, reply.message, reply.details),
      );
    });
    const lost = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const p of [...this.pending.values()])
        p.reject(new DiscoError('unavailable', `code search stopped (${why}); try again`));
    };
    worker.on('error', (err) => {
      this.log.error({ err }, 'the search thread failed');
      lost('an error');
    });
    worker.on('exit', (code) => lost(`exit ${code}`));
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private idleSoon(): void {
    clearTimeout(this.idle);
    this.idle = setTimeout(() => {
      if (this.pending.size === 0) void this.stop();
    }, IDLE_MS);
    this.idle.unref();
  }

  private async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    for (const p of [...this.pending.values()]) p.reject(new DiscoError('unavailable', 'the daemon is shutting down'));
    await worker.terminate();
  }
}

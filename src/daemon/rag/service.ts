import { type FSWatcher, watch } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { RAG_FTS_FORMAT, type RagRepo } from '../db/rag-repo.js';
import { ConflictError, DiscoError } from '../errors.js';
import type { Logger } from '../log.js';
import { workerScript } from '../worker-script.js';
import { createEmbedder, type Embedder, type EmbedderSpec } from './embedder.js';
import type { IndexLimits, JobProgress } from './index-job.js';
import type { WorkerInput, WorkerMessage } from './index-worker.js';
import { PassQueue } from './pass-queue.js';
import type { Ranking } from './ranking.js';
import type { SearchOptions, SearchResult } from './search.js';
import { SearchThread } from './search-thread.js';
import { type IndexStatus, statusOf } from './status.js';

export interface RagSettings {
  dbFile: string;
  embedder: EmbedderSpec;
  limits: IndexLimits;
  /** Re-index a container when its files change on disk (fs.watch), not only after Disco's own writes. */
  watch: boolean;
  /** Quiet period after a change before the incremental pass starts. */
  refreshDelayMs: number;
  /** Passes run at once, daemon-wide (DISCO_RAG_MAX_PASSES); the others wait their turn. */
  maxPasses: number;
}

interface Job {
  /** Its thread; none while the pass waits its turn. */
  worker: Worker | undefined;
  progress: JobProgress | undefined;
  done: Promise<void>;
  /** Ends the pass once: records its state (unless `record` is false), frees its turn, resolves `done`. */
  end(state: 'ready' | 'cancelled' | 'failed', error?: string, record?: boolean): void;
  /** Another pass was asked for while this one ran (files changed meanwhile). */
  again: boolean;
  root: string;
  indexId: number;
}

/** A stale heartbeat means the process that was indexing is gone (crash, kill -9). */
const HEARTBEAT_STALE_MS = 60_000;

/**
 * Owns the RAG indexes: runs incremental passes in worker threads (one per container at a time), keeps
 * their live progress, cancels them, refreshes after file writes, resumes passes a crash interrupted.
 */
export class RagService {
  readonly embedder: Embedder;
  private readonly jobs = new Map<string, Job>();
  private readonly last = new Map<string, JobProgress>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly searches: SearchThread;
  private readonly passes: PassQueue;
  private closed = false;

  constructor(
    private readonly repo: RagRepo,
    private readonly settings: RagSettings,
    private readonly log: Logger,
  ) {
    this.embedder = createEmbedder(settings.embedder);
    this.searches = new SearchThread({ dbFile: settings.dbFile, embedder: settings.embedder }, log);
    this.passes = new PassQueue(settings.maxPasses);
  }

  status(containerId: string): IndexStatus {
    return statusOf(
      containerId,
      this.repo.getIndex(containerId),
      this.jobs.get(containerId)?.progress,
      this.last.get(containerId),
    );
  }

  hasIndex(containerId: string): boolean {
    const row = this.repo.getIndex(containerId);
    return row !== undefined && row.chunks + (this.jobs.has(containerId) ? 1 : 0) > 0;
  }

  /**
   * Starts an incremental pass (or a rebuild with `force`); a pass already running or waiting is simply
   * reported. Over DISCO_RAG_MAX_PASSES the pass waits its turn (pass-queue.ts), its status `queued`.
   */
  async start(
    container: { id: string; root: string; ownerId?: string },
    opts: { force?: boolean } = {},
  ): Promise<IndexStatus> {
    if (this.closed) throw new DiscoError('unavailable', 'the daemon is shutting down');
    if (this.jobs.has(container.id)) return this.status(container.id);
    const dimension = await this.embedder.dimension();
    if (opts.force) this.repo.dropIndex(container.id);
    const row = this.repo.ensureIndex(container.id, this.embedder.id, dimension);
    if (this.jobs.has(container.id)) return this.status(container.id);
    if (
      row.state === 'indexing' &&
      row.runnerPid !== null &&
      row.runnerPid !== process.pid &&
      Date.now() - (row.heartbeatAt ?? 0) < HEARTBEAT_STALE_MS &&
      pidAlive(row.runnerPid)
    ) {
      throw new ConflictError('another Disco process is indexing this container', { pid: row.runnerPid });
    }
    let end: Job['end'] = () => {};
    const done = new Promise<void>((resolve) => {
      let settled = false;
      end = (state, error, record = true) => {
        if (settled) return;
        settled = true;
        this.passes.leave(container.id);
        if (record) this.repo.finish(row.id, state, error);
        if (job.worker && job.progress) this.last.set(container.id, job.progress);
        this.jobs.delete(container.id);
        this.log.info({ containerId: container.id, state, progress: job.progress, error }, 'rag index pass ended');
        resolve();
        if (job.again && !this.closed && state !== 'cancelled') this.scheduleRefresh(container, 0);
      };
    });
    const job: Job = {
      worker: undefined,
      progress: queuedProgress(),
      done,
      end: (state, error, record) => end(state, error, record),
      again: false,
      root: container.root,
      indexId: row.id,
    };
    this.jobs.set(container.id, job);
    this.last.delete(container.id);
    this.passes.enter(container.id, container.ownerId, () => this.launch(job, row.id, container.root));
    if (this.settings.watch) this.watch(container);
    return this.status(container.id);
  }

  /** Runs a pass's worker thread (its turn has come). */
  private launch(job: Job, indexId: number, root: string): void {
    this.repo.markRunning(indexId, process.pid);
    const input: WorkerInput = {
      dbFile: this.settings.dbFile,
      indexId,
      root,
      embedder: this.settings.embedder,
      limits: this.settings.limits,
    };
    const worker = new Worker(workerScript('rag/index-worker.js'), {
      workerData: input,
      resourceLimits: { maxOldGenerationSizeMb: indexerHeapMb(input.limits.maxFiles) },
    });
    job.worker = worker;
    job.progress = undefined;
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') job.progress = m.progress;
      else if (m.type === 'done') {
        job.progress = m.progress;
        job.end(m.cancelled ? 'cancelled' : 'ready');
      } else job.end(m.code === 'cancelled' ? 'cancelled' : 'failed', m.message);
    });
    worker.on('error', (err) => job.end('failed', err.message));
    worker.on('exit', (code) => job.end('failed', `indexer stopped (exit ${code})`));
  }

  cancel(containerId: string): IndexStatus {
    const job = this.jobs.get(containerId);
    if (job?.worker) job.worker.postMessage({ type: 'cancel' });
    else job?.end('cancelled'); // still waiting its turn
    const t = this.timers.get(containerId);
    if (t) clearTimeout(t);
    this.timers.delete(containerId);
    return this.status(containerId);
  }

  /** Resolves when the running pass (if any) ends, calling `onProgress` as it goes. */
  async wait(containerId: string, onProgress: (s: IndexStatus) => void, signal: AbortSignal): Promise<IndexStatus> {
    const job = this.jobs.get(containerId);
    if (!job) return this.status(containerId);
    const timer = setInterval(() => onProgress(this.status(containerId)), 250);
    try {
      await Promise.race([
        job.done,
        new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })),
      ]);
    } finally {
      clearInterval(timer);
    }
    return this.status(containerId);
  }

  async searchIndex(
    containerId: string,
    query: string,
    opts: SearchOptions,
    signal?: AbortSignal,
    ranking?: Ranking,
  ): Promise<SearchResult> {
    // Off the event loop: the search thread (search-thread.ts) holds its own connection and embedder.
    return this.searches.search(this.repo.getIndex(containerId), query, opts, signal, ranking);
  }

  chunkAt(containerId: string, path: string, startLine: number, endLine: number) {
    const row = this.repo.getIndex(containerId);
    return row ? this.repo.reads.chunkAt(row.id, path, startLine, endLine) : undefined;
  }

  /** Files changed through Disco (or on disk, when watching): an incremental pass soon, if indexed. */
  changed(container: { id: string; root: string }): void {
    if (this.closed || !this.repo.getIndex(container.id)) return;
    const job = this.jobs.get(container.id);
    if (job) {
      job.again = true;
      return;
    }
    this.scheduleRefresh(container, this.settings.refreshDelayMs);
  }

  private scheduleRefresh(container: { id: string; root: string }, delayMs: number): void {
    const existing = this.timers.get(container.id);
    if (existing) clearTimeout(existing);
    const t = setTimeout(() => {
      this.timers.delete(container.id);
      this.start(container).catch((err) => this.log.warn({ err, containerId: container.id }, 'rag refresh failed'));
    }, delayMs);
    t.unref();
    this.timers.set(container.id, t);
  }

  private watch(container: { id: string; root: string }): void {
    if (this.watchers.has(container.id)) return;
    try {
      const w = watch(container.root, { recursive: true }, (_event, name) => {
        // Perf: changes inside .git or node_modules do not concern the index.
        if (name && /(^|[/\\])(\.git|node_modules)([/\\]|$)/.test(String(name))) return;
        this.changed(container);
      });
      w.on('error', () => this.unwatch(container.id));
      this.watchers.set(container.id, w);
    } catch (err) {
      this.log.warn(
        { err, containerId: container.id },
        'cannot watch workspace; the index refreshes after Disco writes only',
      );
    }
  }

  private unwatch(containerId: string): void {
    this.watchers.get(containerId)?.close();
    this.watchers.delete(containerId);
  }

  /** The container is gone: stop its pass and drop its index. */
  async drop(containerId: string): Promise<void> {
    this.unwatch(containerId);
    const job = this.jobs.get(containerId);
    if (job) {
      if (job.worker) job.worker.postMessage({ type: 'cancel' });
      else job.end('cancelled');
      await job.done;
    }
    this.repo.dropIndex(containerId);
    this.last.delete(containerId);
  }

  /**
   * At start-up: indexes of deleted containers are dropped; passes a crash interrupted (state still
   * 'indexing', runner gone) resume; indexes of an older FTS format are rebuilt; watched containers are
   * watched again.
   */
  async resume(rootOf: (containerId: string, ownerId: string) => Promise<string | undefined>): Promise<void> {
    for (const row of this.repo.listIndexes()) {
      if (row.ownerId === null) {
        this.repo.dropIndex(row.containerId);
        continue;
      }
      const root = await rootOf(row.containerId, row.ownerId);
      if (!root) continue;
      const stale = row.runnerPid === null || row.runnerPid === process.pid || !pidAlive(row.runnerPid);
      // An index of an older FTS format is rebuilt from scratch: ensureIndex resets it, the pass refills it.
      const outdated = row.ftsFormat !== RAG_FTS_FORMAT;
      if ((row.state === 'indexing' || outdated) && stale) {
        this.log.info(
          { containerId: row.containerId, outdated },
          outdated ? 'rebuilding a rag index of an older format' : 'resuming an interrupted rag index pass',
        );
        await this.start({ id: row.containerId, root }).catch((err) =>
          this.log.warn({ err, containerId: row.containerId }, 'cannot resume rag index pass'),
        );
      } else if (this.settings.watch) {
        this.watch({ id: row.containerId, root });
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const id of [...this.watchers.keys()]) this.unwatch(id);
    // Passes still waiting their turn end here (an interrupted one they resumed is resumed again next start).
    for (const job of [...this.jobs.values()]) if (!job.worker) job.end('cancelled', undefined, false);
    const pending = [...this.jobs.values()];
    for (const job of pending) job.worker?.postMessage({ type: 'cancel' });
    // Bounded: a pass stops at its next file; a stuck one is terminated (its open batch rolls back).
    await Promise.race([Promise.all(pending.map((j) => j.done)), new Promise((r) => setTimeout(r, 5000).unref())]);
    for (const job of pending) {
      await job.worker?.terminate();
      // Stopped by shutdown, not by a user: the next start resumes it.
      this.repo.markInterrupted(job.indexId);
    }
    await this.searches.close();
    this.repo.closeSearch();
  }
}

/** The progress a pass shows while it waits its turn. */
function queuedProgress(): JobProgress {
  return {
    phase: 'queued',
    filesTotal: 0,
    filesDone: 0,
    filesIndexed: 0,
    filesUnchanged: 0,
    filesSkipped: 0,
    filesDeleted: 0,
    chunks: 0,
    indexingMs: 0,
    elapsedMs: 0,
    truncated: false,
  };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The index worker's old-generation limit. Perf/memory: V8 sizes a heap's next collection from its live
 * size times a factor that grows with the heap's limit (×4 under the default limit of a few GB, ×1.3 up
 * to 256 MB and little more at 512), so with the default limit a 15,016-file pass grew the worker's heap
 * to ~147 MB; under 512 MB it stays at ~75 MB, at the same speed (paired bench runs). Its live set grows with
 * the files a pass walks (their paths, the index's file states: well under 1 KB each), hence ~2 KB a file
 * above 256k files: a pass over a workspace that large keeps V8's usual headroom.
 */
export const indexerHeapMb = (maxFiles: number): number => Math.max(512, Math.ceil(maxFiles / 512));

import { Worker } from 'node:worker_threads';
import { workerScript } from '../worker-script.js';
import { FilePreparer, type PreparedFile, type PrepareSettings } from './prepare-file.js';
import type { PrepareReply, PrepareRequest } from './prepare-worker.js';

/**
 * The prepare thread's old-generation limit. Perf/memory: under the default limit (a few GB) V8 let the
 * thread's heap grow to ~4× what it holds alive (its caches, the files in its queue: ~25–40 MB); under
 * 256 MB it collects sooner (a growth factor of ~1.3), which took ~20 MB off a 15,016-file pass's peak RSS
 * at no visible cost. A thread that runs out of it (a file far larger than any the index takes by
 * default) is lost like any other: its files are prepared by the indexer.
 */
const PREPARE_HEAP_MB = 256;

/** A prepare thread failed or ended under a request: the file is prepared here instead. */
class ThreadLost extends Error {}

interface Waiting {
  resolve: (f: PreparedFile) => void;
  reject: (err: Error) => void;
}

/** One prepare thread (prepare-worker.ts) and the files it holds. */
class PrepareThread {
  /** It has loaded its code: until then files go elsewhere rather than wait for it. */
  ready = false;
  lost = false;
  /** Settles with `ready` (true) or the thread's loss (false). */
  readonly started: Promise<boolean>;
  private settleStarted: (ready: boolean) => void = () => {};
  private seq = 0;
  readonly waiting = new Map<number, Waiting>();
  private readonly worker: Worker;

  constructor(settings: PrepareSettings) {
    this.started = new Promise<boolean>((resolve) => {
      this.settleStarted = resolve;
    });
    const w = new Worker(workerScript('rag/prepare-worker.js'), {
      workerData: settings,
      resourceLimits: { maxOldGenerationSizeMb: PREPARE_HEAP_MB },
    });
    w.on('message', (m: PrepareReply) => {
      if (m.type === 'ready') {
        this.ready = !this.lost;
        this.settleStarted(this.ready);
        return;
      }
      const waiting = this.waiting.get(m.id);
      if (!waiting) return;
      this.waiting.delete(m.id);
      if (m.type === 'file') waiting.resolve(m.file);
      else waiting.reject(new Error(m.message));
    });
    const lost = () => {
      if (!this.lost) this.markLost();
    };
    w.on('error', lost);
    w.on('exit', lost);
    this.worker = w;
  }

  prepare(rel: string, text: string, reuse?: ReadonlySet<string>): Promise<PreparedFile> {
    const id = ++this.seq;
    return new Promise<PreparedFile>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      const m: PrepareRequest = { type: 'file', id, rel, text, ...(reuse ? { reuse: [...reuse] } : {}) };
      this.worker.postMessage(m);
    });
  }

  /** Stops the thread; the files it held fail with ThreadLost (their callers prepare them themselves). */
  end(): Promise<unknown> {
    if (this.lost) return Promise.resolve();
    const idle = this.ready && this.waiting.size === 0;
    this.markLost();
    // Still starting (a small pass ends before its thread is ready) or holding files: ended at once.
    if (!idle) return this.worker.terminate();
    // Idle: it exits by itself (so its profile, under --cpu-prof, is written); one that does not is ended.
    const exited = new Promise((resolve) => this.worker.once('exit', resolve));
    this.worker.postMessage({ type: 'end' } satisfies PrepareRequest);
    const timer = setTimeout(() => void this.worker.terminate(), 1000);
    return exited.finally(() => clearTimeout(timer));
  }

  /** Takes no more files and fails the ones it holds with ThreadLost. */
  private markLost(): void {
    this.lost = true;
    this.ready = false;
    this.settleStarted(false);
    const held = [...this.waiting.values()];
    this.waiting.clear();
    for (const x of held) x.reject(new ThreadLost());
  }
}

/**
 * Files the prepare thread holds at most; more are prepared here. Perf: enough to keep it busy while the
 * indexer writes a batch (tens of milliseconds of SQLite, at ~1.5 ms a file in the thread), few enough
 * that the indexer prepares its own share of the files meanwhile.
 */
export const THREAD_DEPTH = 48;

/**
 * Where an index pass prepares its files (prepare-file.ts). Perf: on the 2-core machine a pass's compute
 * (tree-sitter, tokens, embedding: ~1.5 ms a file) ran on one core beside its SQLite writes while the other
 * sat idle. Now a prepare thread (prepare-worker.ts) takes files while it holds fewer than THREAD_DEPTH, and
 * the indexer prepares the others itself between its reads and writes. Whatever happens to the thread (it
 * cannot start, it dies), its files are prepared here: the index is the same, only later. The thread starts
 * on demand (`start`) and ends with `close`.
 */
export class PreparePool {
  private readonly local: FilePreparer;
  private thread: PrepareThread | undefined;

  constructor(private readonly settings: PrepareSettings) {
    this.local = new FilePreparer(settings);
  }

  /** Starts the thread, once; a pass with few files to prepare never calls it (a start is ~0.1 s CPU). */
  start(): void {
    if (this.thread) return;
    try {
      this.thread = new PrepareThread(this.settings);
    } catch {
      // prepared here instead
    }
  }

  /** True once the thread is ready to take files, false when there is none or it was lost first. */
  async threadReady(): Promise<boolean> {
    return (await this.thread?.started) ?? false;
  }

  /** A thread runs (or is starting): its answers come as messages. */
  get threaded(): boolean {
    return this.thread !== undefined && !this.thread.lost;
  }

  /** Prepares one file: in the thread when it is ready and has room, else here. */
  prepare(rel: string, text: string, reuse?: ReadonlySet<string>): Promise<PreparedFile> {
    const t = this.thread;
    if (!t?.ready || t.waiting.size >= THREAD_DEPTH) return this.local.prepare(rel, text, reuse);
    return t.prepare(rel, text, reuse).catch((err: unknown) => {
      if (err instanceof ThreadLost) return this.local.prepare(rel, text, reuse);
      throw err;
    });
  }

  /** Ends the thread; files it still held are prepared here if anyone still waits for them. */
  async close(): Promise<void> {
    const t = this.thread;
    this.thread = undefined;
    await t?.end();
  }
}

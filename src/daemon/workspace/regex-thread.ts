import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DiscoError } from '../errors.js';
import { workerScript } from '../worker-script.js';
import type { LineHit } from './line-scan.js';

/**
 * Regex searches running at once, daemon-wide. Security: each holds a thread (and a core, for a slow
 * pattern) until its deadline; without a bound, a files:read token sending searches in parallel started one
 * thread each, as many as it liked, and took every core from the event loop and from other users.
 */
export const MAX_REGEX_THREADS = Math.max(2, availableParallelism());
let running = 0;
const queue: Array<() => void> = [];

/**
 * Waits (in order) for one of the MAX_REGEX_THREADS slots until `deadline` (epoch ms); returns the release,
 * or undefined when none came free in time.
 */
export function regexSlot(deadline: number): Promise<(() => void) | undefined> {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    running--;
    queue.shift()?.();
  };
  if (running < MAX_REGEX_THREADS) {
    running++;
    return Promise.resolve(release);
  }
  return new Promise((resolve) => {
    const turn = () => {
      clearTimeout(timer);
      running++;
      resolve(release);
    };
    const timer = setTimeout(
      () => {
        const i = queue.indexOf(turn);
        if (i >= 0) queue.splice(i, 1);
        resolve(undefined);
      },
      Math.max(0, deadline - Date.now()),
    );
    queue.push(turn);
  });
}

/**
 * A worker thread that runs one search's regular expression. Perf/Security: V8's linear-time engine is
 * linear in the text but slow per character, and a 1,000-character pattern against a 2 MiB minified line
 * takes minutes; on the main thread that would stall every other request. Here it costs a core until the
 * search's deadline, then the thread is terminated.
 */
export class RegexThread {
  private readonly worker: Worker;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (hits: LineHit[]) => void; reject: (e: Error) => void }>();

  constructor(pattern: string, caseSensitive: boolean) {
    this.worker = new Worker(workerScript('workspace/regex-worker.js'), { workerData: { pattern, caseSensitive } });
    this.worker.on('message', ({ id, hits }: { id: number; hits: LineHit[] }) => this.waiting.get(id)?.resolve(hits));
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', () => this.failAll(new Error('the search thread ended')));
  }

  /** Matching lines of `text` (at most `max`), or 'timeout' once `deadline` (epoch ms) passes. */
  scan(text: string, max: number, deadline: number): Promise<LineHit[] | 'timeout'> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.waiting.delete(id);
          resolve('timeout');
        },
        Math.max(0, deadline - Date.now()),
      );
      const settle = () => {
        clearTimeout(timer);
        this.waiting.delete(id);
      };
      this.waiting.set(id, {
        resolve: (hits) => {
          settle();
          resolve(hits);
        },
        reject: (err) => {
          settle();
          reject(new DiscoError('internal', `regex search failed: ${err.message}`));
        },
      });
      this.worker.postMessage({ id, text, max });
    });
  }

  /** Ends the thread; resolves once it has gone (so its slot goes to the next search only then). */
  async close(): Promise<void> {
    this.waiting.clear();
    await this.worker.terminate().catch(() => undefined);
  }

  private failAll(err: Error): void {
    for (const w of [...this.waiting.values()]) w.reject(err);
  }
}

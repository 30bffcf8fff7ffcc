import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DiscoError } from '../errors.js';
import type { LineHit } from './line-scan.js';

function workerUrl(): URL {
  const here = new URL('./regex-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return new URL('../../../dist/daemon/workspace/regex-worker.js', import.meta.url);
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
    this.worker = new Worker(workerUrl(), { workerData: { pattern, caseSensitive } });
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

  close(): void {
    this.waiting.clear();
    void this.worker.terminate();
  }

  private failAll(err: Error): void {
    for (const w of [...this.waiting.values()]) w.reject(err);
  }
}

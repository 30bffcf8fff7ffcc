import { parentPort, workerData } from 'node:worker_threads';
import { FilePreparer, type PreparedFile, type PrepareSettings } from './prepare-file.js';

/** Indexer → prepare thread: one file to prepare, or the end (the thread exits once its queue is done). */
export type PrepareRequest = PrepareFileRequest | { type: 'end' };

export interface PrepareFileRequest {
  type: 'file';
  id: number;
  rel: string;
  text: string;
  /** Hashes of chunks whose stored vectors are kept (see FilePreparer.prepare). */
  reuse?: string[];
}

/** Prepare thread → indexer: `ready` once loaded, then one answer per request. */
export type PrepareReply =
  | { type: 'ready' }
  | { type: 'file'; id: number; file: PreparedFile }
  | { type: 'failed'; id: number; message: string };

/**
 * Prepare thread entry, started by an index pass (prepare-thread.ts). Perf: a pass's compute (tree-sitter,
 * tokens, FTS texts, embedding) was three quarters of one core while the other sat idle; files prepared
 * here run beside the ones the indexer prepares itself and beside its SQLite writes. The thread gets file
 * texts, never paths to open: every file is still read by the indexer through its workspace descriptor.
 */
function main(): void {
  const port = parentPort;
  if (!port) return;
  const preparer = new FilePreparer(workerData as PrepareSettings);
  // One file at a time, each answered as soon as it is done. Perf: messages arrive in bursts, and
  // preparing them all at once (each awaits its parser) answered the first only when the last was done,
  // so the indexer, which writes in walk order, waited for the whole burst.
  const queue: PrepareFileRequest[] = [];
  let ending = false;
  let running = false;
  const run = async () => {
    running = true;
    for (let m = queue.shift(); m; m = queue.shift()) {
      try {
        const file = await preparer.prepare(m.rel, m.text, m.reuse ? new Set(m.reuse) : undefined);
        const reply: PrepareReply = { type: 'file', id: m.id, file };
        port.postMessage(reply, file.vectors ? [file.vectors.buffer as ArrayBuffer] : []);
      } catch (err) {
        const reply: PrepareReply = { type: 'failed', id: m.id, message: (err as Error)?.message ?? String(err) };
        port.postMessage(reply);
      }
    }
    running = false;
    if (ending) port.close();
  };
  port.on('message', (m: PrepareRequest) => {
    if (m.type === 'end') {
      ending = true;
      if (!running) port.close();
      return;
    }
    queue.push(m);
    if (!running) void run();
  });
  port.postMessage({ type: 'ready' } satisfies PrepareReply);
}

main();

import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { scanLines } from './line-scan.js';
import { compileLinearRegex } from './linear-regex.js';

/** Runs a client's regular expression over file texts, off the daemon's event loop (see regex-thread.ts). */
// Perf: a client's regex may keep a core busy for seconds; at the lowest priority this thread (Linux keeps a
// nice value per thread) yields the CPU to the daemon's event loop instead of competing with it.
try {
  os.setPriority(19);
} catch {
  // not permitted here: it runs at the daemon's priority
}
const { pattern, caseSensitive } = workerData as { pattern: string; caseSensitive: boolean };
const re = compileLinearRegex(pattern, caseSensitive);
parentPort?.on('message', ({ id, text, max }: { id: number; text: string; max: number }) => {
  parentPort?.postMessage({ id, hits: scanLines(text, (line) => line.search(re), max) });
});

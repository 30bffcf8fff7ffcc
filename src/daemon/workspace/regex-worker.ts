import { parentPort, workerData } from 'node:worker_threads';
import { scanLines } from './line-scan.js';
import { compileLinearRegex } from './linear-regex.js';

/** Runs a client's regular expression over file texts, off the daemon's event loop (see regex-thread.ts). */
const { pattern, caseSensitive } = workerData as { pattern: string; caseSensitive: boolean };
const re = compileLinearRegex(pattern, caseSensitive);
parentPort?.on('message', ({ id, text, max }: { id: number; text: string; max: number }) => {
  parentPort?.postMessage({ id, hits: scanLines(text, (line) => line.search(re), max) });
});

import { isUtf8 } from 'node:buffer';
import * as crypto from 'node:crypto';

export const sha256 = (data: Uint8Array | string): string =>
  // Perf: the one-shot hash (Node >= 20.12) skips the Hash object (every file read and every request's token).
  typeof crypto.hash === 'function'
    ? crypto.hash('sha256', data, 'hex')
    : crypto.createHash('sha256').update(data).digest('hex');

/**
 * Text if it is valid UTF-8 and has no NUL in its first 8 KiB (git's heuristic), else binary. Perf: the
 * bytes are validated in place (what a fatal TextDecoder accepts, without making the string it would
 * return and the caller would make again).
 */
export function isBinary(data: Uint8Array): boolean {
  const head = data.subarray(0, 8192);
  if (head.includes(0)) return true;
  return !isUtf8(data);
}

/** Bytes of the JSON of a value, as it goes over the wire. */
export const jsonBytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v) ?? '');

import { createHash } from 'node:crypto';

export const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Text if it decodes as UTF-8 and has no NUL in its first 8 KiB (git's heuristic), else binary. */
export function isBinary(data: Uint8Array): boolean {
  const head = data.subarray(0, 8192);
  if (head.includes(0)) return true;
  try {
    utf8Strict.decode(data);
    return false;
  } catch {
    return true;
  }
}

/** Bytes of the JSON of a value, as it goes over the wire. */
export const jsonBytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v) ?? '');

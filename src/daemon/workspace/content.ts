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

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** Bytes of the JSON of a value, as it goes over the wire. */
export const jsonBytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v) ?? '');

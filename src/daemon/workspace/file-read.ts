import { read, type Stats } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { promisify } from 'node:util';
import { formatBytes, TooLargeError, ValidationError } from '../errors.js';
import { isBinary, jsonBytes, sha256 } from './content.js';
import { readCapped } from './workspace-dir.js';

const readAsync = promisify(read);
const CHUNK = 64 * 1024;

export interface ReadInput {
  path: string;
  encoding: 'auto' | 'utf8' | 'base64';
  startLine?: number | undefined;
  endLine?: number | undefined;
  /** Byte offset: read a page of bytes from here instead of lines. */
  offset?: number | undefined;
}

/** Reads a whole regular file from its open descriptor, refusing more than `max` bytes. */
export async function readWhole(fd: number, rel: string, s: Stats, input: ReadInput, max: number) {
  const tooLarge = (size: number) =>
    new TooLargeError(
      `'${input.path}' is ${formatBytes(size)}, over the ${formatBytes(max)} read limit; read a line range (startLine/endLine) instead`,
      { path: input.path, size, limit: max },
    );
  if (s.size > max) throw tooLarge(s.size);
  const data = await readCapped(fd, s.size, max);
  if (!data) throw tooLarge(max + 1); // grew past the cap after fstat
  const binary = input.encoding === 'base64' || (input.encoding === 'auto' && isBinary(data));
  const content = binary ? data.toString('base64') : data.toString('utf8');
  return {
    path: rel,
    encoding: binary ? ('base64' as const) : ('utf8' as const),
    content,
    size: data.length,
    hash: sha256(data),
    mtime: s.mtime.toISOString(),
    ...(binary ? {} : { totalLines: countLines(content) }),
    truncated: false,
  };
}

/**
 * Streams only the requested lines from the open descriptor, so a range of a huge log stays cheap; the
 * returned text is bounded by `max` bytes (raw, or as JSON when `measure` is `json`: what a model is sent).
 * Lines end at \n, \r\n or a lone \r (like node:readline). `startOffset` is where the first line begins,
 * so a line too long to return whole can be read by byte offset instead.
 */
export async function readLines(
  fd: number,
  rel: string,
  s: Stats,
  input: ReadInput,
  max: number,
  measure: 'raw' | 'json' = 'raw',
) {
  if (input.encoding === 'base64') throw new ValidationError('a line range cannot be read as base64');
  const start = input.startLine ?? 1;
  const end = input.endLine ?? Number.POSITIVE_INFINITY;
  if (end < start)
    throw new ValidationError('endLine must not be before startLine', { startLine: start, endLine: end });
  const cost = measure === 'json' ? (line: string) => jsonBytes(line) : (line: string) => Buffer.byteLength(line) + 1;
  const lines: string[] = [];
  let bytes = 0;
  let lineNo = 0;
  let consumed = 0;
  let startOffset: number | undefined;
  let truncated = false;
  let done = false;
  /** Takes one line and the bytes of its terminator; false once the range or the cap is reached. */
  const take = (line: string, sepBytes: number): boolean => {
    lineNo++;
    if (lineNo === start) startOffset = consumed;
    consumed += Buffer.byteLength(line) + sepBytes;
    if (lineNo < start) return true;
    if (lineNo > end) return false;
    bytes += cost(line);
    if (bytes > max) {
      truncated = true;
      return false;
    }
    lines.push(line);
    return true;
  };
  const decoder = new StringDecoder('utf8');
  const buf = Buffer.allocUnsafe(CHUNK);
  let pending = '';
  for (let pos = 0; !done; ) {
    const { bytesRead } = await readAsync(fd, buf, 0, CHUNK, pos);
    pos += bytesRead;
    const eof = bytesRead === 0;
    pending += eof ? decoder.end() : decoder.write(buf.subarray(0, bytesRead));
    // A trailing \r may be the first half of \r\n: keep it for the next chunk.
    const held = !eof && pending.endsWith('\r') ? '\r' : '';
    const parts = (held ? pending.slice(0, -1) : pending).split(/(\r\n|\n|\r)/);
    pending = (parts.pop() as string) + held;
    for (let i = 0; i < parts.length; i += 2) {
      if (!take(parts[i] as string, (parts[i + 1] as string).length)) {
        done = true;
        break;
      }
    }
    if (!done && lineNo + 1 < start && pending.length > CHUNK) {
      // A long line before the range: count its bytes and let it go rather than buffer it.
      consumed += Buffer.byteLength(pending) - held.length;
      pending = held;
    }
    // A line longer than the cap can never be returned whole: stop instead of buffering it all.
    if (!done && Buffer.byteLength(pending) > max) {
      if (lineNo + 1 === start) startOffset = consumed;
      truncated = true;
      break;
    }
    if (eof) {
      if (!done && pending !== '') take(pending, 0);
      break;
    }
  }
  const content = lines.length > 0 ? `${lines.join('\n')}\n` : '';
  return {
    path: rel,
    encoding: 'utf8' as const,
    content,
    size: s.size,
    hash: sha256(content),
    mtime: s.mtime.toISOString(),
    startLine: start,
    endLine: start + lines.length - 1,
    truncated,
    ...(truncated && lines.length > 0 ? { nextStartLine: start + lines.length } : {}),
    ...(startOffset !== undefined ? { startOffset } : {}),
  };
}

/** Where buf[0, n) ends without splitting a UTF-8 sequence (n itself unless a sequence is cut at n). */
function completeUpTo(buf: Buffer, n: number): number {
  let i = n - 1;
  let cont = 0;
  while (i >= 0 && cont < 3 && ((buf[i] as number) & 0xc0) === 0x80) {
    i--;
    cont++;
  }
  if (i < 0) return n;
  const lead = buf[i] as number;
  const len = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return len > cont + 1 ? i : n;
}

/** True when the file's first 8 KiB look binary (for `auto`; `utf8` asks for text whatever it holds). */
export async function startsBinary(fd: number, encoding: ReadInput['encoding']): Promise<boolean> {
  if (encoding !== 'auto') return encoding === 'base64';
  const buf = Buffer.allocUnsafe(8192);
  const { bytesRead } = await readAsync(fd, buf, 0, buf.length, 0);
  const head = buf.subarray(0, bytesRead);
  return isBinary(bytesRead === buf.length ? head.subarray(0, completeUpTo(head, bytesRead)) : head);
}

/**
 * One page of a file by byte offset: as much as fits in `pageBytes` of JSON (base64 for binary files, else
 * UTF-8 cut at a character boundary), with `nextOffset` while more follows. Binary files and lines too long
 * for a page are read this way.
 */
export async function readBytes(fd: number, rel: string, s: Stats, input: ReadInput, pageBytes: number) {
  const offset = input.offset ?? 0;
  const want = Math.max(0, Math.min(s.size - offset, pageBytes));
  const buf = Buffer.allocUnsafe(want);
  let filled = 0;
  while (filled < want) {
    const { bytesRead } = await readAsync(fd, buf, filled, want - filled, offset + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  const data = buf.subarray(0, filled);
  const atEnd = offset + filled >= s.size;
  const whole = (n: number) => (atEnd && n === data.length ? n : completeUpTo(data, n));
  const binary =
    input.encoding === 'base64' ||
    (input.encoding === 'auto' && isBinary(data.subarray(0, completeUpTo(data, Math.min(data.length, 8192)))));
  let taken: number;
  if (binary) taken = Math.min(data.length, Math.floor(Math.max(0, pageBytes - 2) / 4) * 3);
  else {
    let lo = 0;
    let hi = data.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (jsonBytes(data.toString('utf8', 0, whole(mid))) <= pageBytes) lo = mid;
      else hi = mid - 1;
    }
    taken = whole(lo);
  }
  const slice = data.subarray(0, taken);
  const next = offset + taken;
  return {
    path: rel,
    encoding: binary ? ('base64' as const) : ('utf8' as const),
    content: binary ? slice.toString('base64') : slice.toString('utf8'),
    size: s.size,
    hash: sha256(slice),
    mtime: s.mtime.toISOString(),
    offset,
    truncated: next < s.size,
    ...(next < s.size ? { nextOffset: next } : {}),
  };
}

export function countLines(text: string): number {
  if (text === '') return 0;
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return text.endsWith('\n') ? n : n + 1;
}

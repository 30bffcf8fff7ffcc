import { read, type Stats } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { promisify } from 'node:util';
import { TooLargeError, ValidationError } from '../errors.js';
import { formatBytes, isBinary, sha256 } from './content.js';
import { readCapped } from './workspace-dir.js';

const readAsync = promisify(read);
const CHUNK = 64 * 1024;

export interface ReadInput {
  path: string;
  encoding: 'auto' | 'utf8' | 'base64';
  startLine?: number | undefined;
  endLine?: number | undefined;
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
 * returned text is bounded by the read cap. Lines end at \n, \r\n or a lone \r (like node:readline).
 */
export async function readLines(fd: number, rel: string, s: Stats, input: ReadInput, max: number) {
  if (input.encoding === 'base64') throw new ValidationError('a line range cannot be read as base64');
  const start = input.startLine ?? 1;
  const end = input.endLine ?? Number.POSITIVE_INFINITY;
  if (end < start)
    throw new ValidationError('endLine must not be before startLine', { startLine: start, endLine: end });
  const lines: string[] = [];
  let bytes = 0;
  let lineNo = 0;
  let truncated = false;
  let done = false;
  /** Takes one line; false once the range or the cap is reached. */
  const take = (line: string): boolean => {
    lineNo++;
    if (lineNo < start) return true;
    if (lineNo > end) return false;
    bytes += Buffer.byteLength(line) + 1;
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
    const parts = (held ? pending.slice(0, -1) : pending).split(/\r\n|\n|\r/);
    pending = (parts.pop() as string) + held;
    for (const line of parts) {
      if (!take(line)) {
        done = true;
        break;
      }
    }
    // A line longer than the cap can never be returned whole: stop instead of buffering it all.
    if (!done && Buffer.byteLength(pending) > max) {
      truncated = true;
      break;
    }
    if (eof) {
      if (!done && pending !== '') take(pending);
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
  };
}

export function countLines(text: string): number {
  if (text === '') return 0;
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return text.endsWith('\n') ? n : n + 1;
}

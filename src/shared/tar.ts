/**
 * A small tar (ustar + pax) reader and writer for `disco files push|pull`: both the CLI and the daemon
 * use it, so neither depends on a `tar` program or package. Reading only parses: what an entry may do
 * (its path, its type, where a link points) is for the caller to judge, since every archive is hostile.
 */

export type TarType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

export interface TarEntry {
  /** The member's name as the archive gives it (not yet checked: may be absolute or hold `..`). */
  name: string;
  type: TarType;
  mode: number;
  /** A link's target. */
  linkname: string;
  data: Buffer;
}

const BLOCK = 512;

export class TarError extends Error {
  override name = 'TarError';
}

const text = (b: Buffer, start: number, length: number) => {
  const field = b.subarray(start, start + length);
  const nul = field.indexOf(0);
  return field.subarray(0, nul < 0 ? field.length : nul).toString('utf8');
};

function octal(b: Buffer, start: number, length: number): number {
  const field = b.subarray(start, start + length);
  // GNU base-256 for sizes of 8 GiB and more: far past any cap here.
  if ((field[0] ?? 0) & 0x80) throw new TarError('a member is too large');
  const s = text(b, start, length).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarError('a header has a malformed number');
  return Number.parseInt(s, 8);
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] as number);
  return sum === octal(h, 148, 8);
}

/** pax extended header records: `len key=value\n`. */
function paxRecords(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const len = Number(data.subarray(at, space).toString('ascii'));
    if (!Number.isInteger(len) || len <= 0 || at + len > data.length) throw new TarError('a pax header is malformed');
    const record = data.subarray(space + 1, at + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    at += len;
  }
  return out;
}

const TYPES: Record<string, TarType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '5': 'directory',
  '2': 'symlink',
  '1': 'hardlink',
};

/**
 * Parses a whole archive. Refuses more than `maxEntries` members or more than `maxBytes` of content,
 * before reading past either.
 */
export function readTar(buf: Buffer, limits: { maxEntries: number; maxBytes: number }): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let total = 0;
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  while (offset + BLOCK <= buf.length) {
    const h = buf.subarray(offset, offset + BLOCK);
    if (h.every((x) => x === 0)) break; // end of archive
    if (!checksumOk(h)) throw new TarError('not a tar archive (bad header checksum)');
    const flag = String.fromCharCode(h[156] as number);
    const size = pax.size !== undefined ? Number(pax.size) : octal(h, 124, 12);
    if (!Number.isSafeInteger(size) || size < 0) throw new TarError('a member has a bad size');
    const start = offset + BLOCK;
    if (start + size > buf.length) throw new TarError('the archive is truncated');
    const data = buf.subarray(start, start + size);
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
    if (flag === 'x') {
      pax = { ...pax, ...paxRecords(data) };
      continue;
    }
    if (flag === 'g') continue; // global pax header: nothing we use
    if (flag === 'L' || flag === 'K') {
      const value = text(data, 0, data.length);
      if (flag === 'L') longName = value;
      else longLink = value;
      continue;
    }
    const prefix = text(h, 345, 155);
    const base = text(h, 0, 100);
    const name = pax.path ?? longName ?? (prefix ? `${prefix}/${base}` : base);
    const linkname = pax.linkpath ?? longLink ?? text(h, 157, 100);
    pax = {};
    longName = undefined;
    longLink = undefined;
    if (entries.length >= limits.maxEntries)
      throw new TarError(`the archive has more than ${limits.maxEntries} members`);
    const type = TYPES[flag] ?? 'other';
    total += type === 'file' ? size : 0;
    if (total > limits.maxBytes) throw new TarError(`the archive holds more than ${limits.maxBytes} bytes`);
    entries.push({
      name,
      type,
      mode: octal(h, 100, 8) & 0o7777,
      linkname,
      data: type === 'file' ? data : Buffer.alloc(0),
    });
  }
  return entries;
}

const FLAGS: Record<TarType, string> = { file: '0', directory: '5', symlink: '2', hardlink: '1', other: '0' };

function header(name: string, e: { flag: string; mode: number; size: number; linkname: string }): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write(`${(e.mode & 0o7777).toString(8).padStart(7, '0')}\0`, 100, 'ascii');
  h.write('0000000\0', 108, 'ascii');
  h.write('0000000\0', 116, 'ascii');
  h.write(`${e.size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  h.write('00000000000\0', 136, 'ascii');
  h.write(e.flag, 156, 'ascii');
  h.write(e.linkname, 157, 100, 'utf8');
  h.write('ustar\x0000', 257, 'binary');
  h.fill(32, 148, 156);
  let sum = 0;
  for (const x of h) sum += x;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

const pad = (n: number) => Buffer.alloc((BLOCK - (n % BLOCK)) % BLOCK);

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const n = Buffer.byteLength(body);
  let len = n + 1;
  while (len !== n + String(len).length) len = n + String(len).length;
  return `${len}${body}`;
}

export type TarInput = Omit<TarEntry, 'mode'> & { mode?: number };

/** Writes an archive; names or link targets past 100 bytes get a pax header. */
export function writeTar(entries: readonly TarInput[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const mode = e.mode ?? (e.type === 'directory' ? 0o755 : 0o644);
    const name = e.type === 'directory' && !e.name.endsWith('/') ? `${e.name}/` : e.name;
    const size = e.type === 'file' ? e.data.length : 0;
    let records = '';
    if (Buffer.byteLength(name) > 100) records += paxRecord('path', name);
    if (Buffer.byteLength(e.linkname) > 100) records += paxRecord('linkpath', e.linkname);
    if (records) {
      const body = Buffer.from(records, 'utf8');
      parts.push(
        header('PaxHeader', { flag: 'x', mode: 0o644, size: body.length, linkname: '' }),
        body,
        pad(body.length),
      );
    }
    parts.push(header(name, { flag: FLAGS[e.type], mode, size, linkname: e.linkname }));
    if (size > 0) parts.push(e.data, pad(size));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

/**
 * A member name as a safe relative path (`a/b/c`), or why it is refused: absolute, `..`, NUL, empty.
 * `./` prefixes and duplicate slashes are dropped.
 */
export function safeMemberPath(name: string): { path: string } | { refused: string } {
  if (name.includes('\0')) return { refused: 'holds a NUL byte' };
  if (name.startsWith('/')) return { refused: 'is absolute' };
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) return { refused: 'climbs out with ..' };
  if (parts.length === 0) return { path: '.' };
  return { path: parts.join('/') };
}

/** Whether a symlink at `linkPath` (relative, checked) pointing at `target` stays inside the tree. */
export function linkStaysInside(linkPath: string, target: string): boolean {
  if (target === '' || target.startsWith('/') || target.includes('\0')) return false;
  const stack = linkPath.split('/').slice(0, -1);
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (stack.length === 0) return false;
      stack.pop();
    } else stack.push(part);
  }
  return true;
}

import { closeSync, ftruncateSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';

export type StreamName = 'stdout' | 'stderr';

/** Where processes' output logs live: this directory of the daemon's home. */
export const processLogDir = (home: string) => path.join(home, 'process-logs');

export interface OutputRecord {
  /** Milliseconds since the epoch when the chunk arrived. */
  t: number;
  stream: StreamName;
  text: string;
}

export interface OutputPage {
  records: OutputRecord[];
  /** Pass back as `offset` to get what came next; nothing is returned twice or skipped. */
  nextOffset: number;
  /** True when output before `offset` had already rotated out of the bounded log. */
  dropped: boolean;
  /** Offset of the oldest byte still kept. */
  firstOffset: number;
}

interface Segment {
  /** On disk, or `data` held in memory (a drop marker written while the disk had no room). */
  file?: string;
  data?: Buffer;
  /** Logical offset of the segment's first byte. */
  base: number;
  size: number;
}

const reasonOf = (err: unknown): string => {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC') return 'no space left on the device';
  if (code === 'EDQUOT') return 'disk quota exceeded';
  if (code === 'EIO') return 'I/O error';
  return `write failed (${code ?? 'error'})`;
};

/** Longest text of one record: a longer chunk of output is written as several. */
const MAX_RECORD_CHARS = 4096;

const record = (stream: StreamName, text: string): Buffer =>
  Buffer.from(`${JSON.stringify({ t: Date.now(), s: stream === 'stdout' ? 'o' : 'e', d: text })}\n`);

/**
 * A process's output as a bounded, append-only log on disk: JSON lines `{t,s,d}` addressed by logical
 * byte offsets that only grow. Two segments of `capBytes / 2`: when the newer fills up the older is
 * dropped, so memory stays flat and disk stays bounded however long the process runs.
 *
 * Appending never throws: when the disk is full or failing (ENOSPC, EDQUOT, EIO) output is dropped, a
 * marker record (kept in memory) says so, and writing resumes by itself once a retry succeeds, with a
 * second marker counting what was lost. A torn record is cut back, so the log stays whole JSON lines.
 */
export class OutputLog {
  private readonly segments: Segment[] = [];
  private fd: number | undefined;
  private end = 0;
  private closed = false;
  private dropping: { bytes: number; retryAt: number } | undefined;

  constructor(
    private readonly dir: string,
    private readonly id: string,
    private readonly capBytes: number,
    /** Minimum pause between attempts to write again after a write failed. */
    private readonly retryMs = 1000,
    /** A reason to drop output before it reaches the disk (the daemon's disk reserve), or undefined. */
    private readonly refuse: () => string | undefined = () => undefined,
  ) {}

  append(stream: StreamName, text: string): void {
    if (this.closed || text === '') return;
    // Records stay small, so a page for a model (a few tens of KB) always holds whole records.
    if (text.length > MAX_RECORD_CHARS) {
      for (let i = 0; i < text.length; ) {
        let j = Math.min(text.length, i + MAX_RECORD_CHARS);
        const code = text.charCodeAt(j - 1);
        if (j < text.length && code >= 0xd800 && code <= 0xdbff) j--; // never split a surrogate pair
        this.append(stream, text.slice(i, j));
        i = j;
      }
      return;
    }
    const line = record(stream, text);
    const lost = Buffer.byteLength(text); // counted as the output's own bytes, not the record's
    const refused = this.refuse();
    if (refused !== undefined) this.drop(refused, lost);
    else if (this.dropping && !this.resume(false)) this.drop('', lost);
    else {
      try {
        this.write(line);
      } catch (err) {
        this.drop(reasonOf(err), lost);
      }
    }
  }

  private drop(reason: string, lost: number): void {
    if (this.dropping) this.dropping.bytes += lost;
    else this.startDropping(reason, lost);
  }

  /** Writes one whole record to the current segment (opening or rotating as needed), or throws having written none. */
  private write(line: Buffer): void {
    const current = this.segments[this.segments.length - 1];
    if (this.fd !== undefined && current && current.size > 0 && current.size + line.length > this.capBytes / 2) {
      this.closeFd();
    }
    if (this.fd === undefined) {
      // The newest closed segments up to half the cap stay; with the new one the log stays within the cap.
      while (this.segments.reduce((sum, x) => sum + x.size, 0) > this.capBytes / 2) {
        const old = this.segments.shift() as Segment;
        if (old.file) rmSync(old.file, { force: true });
      }
      const file = path.join(this.dir, `${this.id}.${this.end}.log`);
      this.fd = openSync(file, 'w', 0o600);
      this.segments.push({ file, base: this.end, size: 0 });
    }
    const seg = this.segments[this.segments.length - 1] as Segment;
    let written = 0;
    try {
      while (written < line.length) {
        const n = writeSync(this.fd, line, written, line.length - written, seg.size + written);
        if (n === 0) throw Object.assign(new Error('short write'), { code: 'ENOSPC' });
        written += n;
      }
    } catch (err) {
      // A record half on disk would break every later read; cutting the file back needs no free space.
      if (written > 0) {
        try {
          ftruncateSync(this.fd, seg.size);
        } catch {
          // the next segment starts at the logical end; this one is never read past seg.size
        }
      }
      throw err;
    }
    seg.size += line.length;
    this.end += line.length;
  }

  private closeFd(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // EIO on close: the data already written is what it is
    }
    this.fd = undefined;
  }

  private startDropping(reason: string, lost: number): void {
    this.closeFd();
    const marker = record('stderr', `\n[disco: output dropped: ${reason}]\n`);
    this.segments.push({ data: marker, base: this.end, size: marker.length });
    this.end += marker.length;
    this.dropping = { bytes: lost, retryAt: Date.now() + this.retryMs };
  }

  /** Tries (at most once per retryMs unless forced) to write again; true when output is kept from now on. */
  private resume(force: boolean): boolean {
    const d = this.dropping;
    if (!d) return true;
    if (!force && (Date.now() < d.retryAt || this.refuse() !== undefined)) return false;
    try {
      this.write(record('stderr', `[disco: output resumed; ${d.bytes} bytes were dropped]\n`));
      this.dropping = undefined;
      return true;
    } catch {
      this.closeFd();
      const last = this.segments[this.segments.length - 1];
      if (last?.file && last.size === 0) {
        rmSync(last.file, { force: true });
        this.segments.pop();
      }
      d.retryAt = Date.now() + this.retryMs;
      return false;
    }
  }

  get nextOffset(): number {
    return this.end;
  }

  /**
   * Records from `offset` on, up to about `maxBytes` of log; always whole records. `maxJsonBytes` also bounds
   * the JSON of the records returned (a model's result budget): the page stops before the record that would
   * pass it (one record at least), and `nextOffset` points at that record.
   */
  read(offset: number, maxBytes = 256 * 1024, maxJsonBytes = Number.POSITIVE_INFINITY): OutputPage {
    const first = this.segments[0]?.base ?? 0;
    const dropped = offset < first;
    let position = Math.max(offset, first);
    const records: OutputRecord[] = [];
    let budget = maxBytes;
    let json = 2;
    while (position < this.end && budget > 0) {
      const seg = this.segments.find((s) => position >= s.base && position < s.base + s.size);
      if (!seg) break;
      const want = Math.min(seg.base + seg.size - position, budget);
      const buf = Buffer.alloc(want);
      if (seg.data) seg.data.copy(buf, 0, position - seg.base, position - seg.base + want);
      else {
        const fd = openSync(seg.file as string, 'r');
        try {
          readSync(fd, buf, 0, want, position - seg.base);
        } finally {
          closeSync(fd);
        }
      }
      const lastNewline = buf.lastIndexOf(0x0a);
      if (lastNewline < 0) {
        if (records.length > 0) break;
        budget = Math.min(seg.size, budget * 2); // one record larger than the budget: read it whole
        continue;
      }
      for (const line of buf.subarray(0, lastNewline).toString('utf8').split('\n')) {
        const r = JSON.parse(line) as { t: number; s: string; d: string };
        const rec: OutputRecord = { t: r.t, stream: r.s === 'o' ? 'stdout' : 'stderr', text: r.d };
        json += Buffer.byteLength(JSON.stringify(rec)) + 1;
        if (json > maxJsonBytes && records.length > 0)
          return { records, nextOffset: position, dropped, firstOffset: first };
        records.push(rec);
        position += Buffer.byteLength(line) + 1;
      }
      budget -= lastNewline + 1;
    }
    return { records, nextOffset: position, dropped, firstOffset: first };
  }

  /** Stops writing; the files stay readable until `remove`. */
  close(): void {
    if (this.closed) return;
    if (this.dropping) this.resume(true);
    this.closed = true;
    this.closeFd();
  }

  remove(): void {
    this.close();
    for (const s of this.segments) if (s.file) rmSync(s.file, { force: true });
  }
}

/** Removes the output logs (`<id>.<n>.log`) of these processes from `dir`; those already gone are skipped. */
export async function removeProcessLogs(dir: string, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const wanted = new Set(ids);
  const files = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(
    files
      .filter((f) => {
        const dot = f.indexOf('.');
        return dot > 0 && wanted.has(f.slice(0, dot));
      })
      .map((f) => rm(path.join(dir, f), { force: true })),
  );
}

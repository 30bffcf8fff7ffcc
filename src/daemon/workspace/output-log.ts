import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

export type StreamName = 'stdout' | 'stderr';

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
  file: string;
  /** Logical offset of the segment's first byte. */
  base: number;
  size: number;
}

/**
 * A process's output as a bounded, append-only log on disk: JSON lines `{t,s,d}` addressed by logical
 * byte offsets that only grow. Two segments of `capBytes / 2`: when the newer fills up the older is
 * dropped, so memory stays flat and disk stays bounded however long the process runs.
 */
export class OutputLog {
  private readonly segments: Segment[] = [];
  private fd: number;
  private end = 0;
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly id: string,
    private readonly capBytes: number,
  ) {
    this.fd = this.openSegment(0);
  }

  private openSegment(base: number): number {
    const file = path.join(this.dir, `${this.id}.${base}.log`);
    this.segments.push({ file, base, size: 0 });
    return openSync(file, 'w', 0o600);
  }

  append(stream: StreamName, text: string): void {
    if (this.closed || text === '') return;
    const line = Buffer.from(`${JSON.stringify({ t: Date.now(), s: stream === 'stdout' ? 'o' : 'e', d: text })}\n`);
    const current = this.segments[this.segments.length - 1] as Segment;
    if (current.size > 0 && current.size + line.length > this.capBytes / 2) {
      closeSync(this.fd);
      if (this.segments.length >= 2) rmSync((this.segments.shift() as Segment).file, { force: true });
      this.fd = this.openSegment(this.end);
    }
    writeSync(this.fd, line);
    (this.segments[this.segments.length - 1] as Segment).size += line.length;
    this.end += line.length;
  }

  get nextOffset(): number {
    return this.end;
  }

  /** Records from `offset` on, up to about `maxBytes`; always whole records. */
  read(offset: number, maxBytes = 256 * 1024): OutputPage {
    const first = this.segments[0]?.base ?? 0;
    const dropped = offset < first;
    let position = Math.max(offset, first);
    const records: OutputRecord[] = [];
    let budget = maxBytes;
    while (position < this.end && budget > 0) {
      const seg = this.segments.find((s) => position >= s.base && position < s.base + s.size);
      if (!seg) break;
      const want = Math.min(seg.base + seg.size - position, budget);
      const buf = Buffer.alloc(want);
      const fd = openSync(seg.file, 'r');
      try {
        readSync(fd, buf, 0, want, position - seg.base);
      } finally {
        closeSync(fd);
      }
      const lastNewline = buf.lastIndexOf(0x0a);
      if (lastNewline < 0) {
        if (records.length > 0) break;
        budget = Math.min(seg.size, budget * 2); // one record larger than the budget: read it whole
        continue;
      }
      for (const line of buf.subarray(0, lastNewline).toString('utf8').split('\n')) {
        const r = JSON.parse(line) as { t: number; s: string; d: string };
        records.push({ t: r.t, stream: r.s === 'o' ? 'stdout' : 'stderr', text: r.d });
      }
      position += lastNewline + 1;
      budget -= lastNewline + 1;
    }
    return { records, nextOffset: position, dropped, firstOffset: first };
  }

  /** Stops writing; the files stay readable until `remove`. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  remove(): void {
    this.close();
    for (const s of this.segments) rmSync(s.file, { force: true });
  }
}

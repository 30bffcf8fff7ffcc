import type { Writable } from 'node:stream';

/** Where a command writes; tests pass buffers, the binary passes process.stdout/stderr. */
export interface Io {
  stdout: Writable;
  stderr: Writable;
  stdin: NodeJS.ReadableStream;
}

export class Output {
  constructor(
    readonly io: Io,
    readonly json: boolean,
  ) {}

  /** Prints `data` as JSON with --json, else the human rendering. */
  result(data: unknown, human: () => string): void {
    const text = this.json ? JSON.stringify(data, null, 2) : human();
    if (text) this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  info(line: string): void {
    this.io.stderr.write(`${line}\n`);
  }
}

/** A plain aligned table; the last column is never padded. */
export function table(
  rows: readonly Record<string, unknown>[],
  columns: readonly string[],
  headers?: readonly string[],
): string {
  const head = headers ?? columns.map((c) => c.toUpperCase());
  const cells = rows.map((r) => columns.map((c) => (r[c] === undefined || r[c] === null ? '' : String(r[c]))));
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]?.length ?? 0)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(head), ...cells.map(line)].join('\n');
}

/** A size in a sentence: `1 byte`, `18 bytes`, `4.0KB` (humanSize is for columns, like `ls -h`). */
export function sizeInWords(n: number): string {
  if (n < 1024) return `${n} ${n === 1 ? 'byte' : 'bytes'}`;
  return `${humanSize(n)}B`;
}

export function humanSize(n: number): string {
  if (n < 1024) return `${n}`;
  const units = ['K', 'M', 'G', 'T'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)}${units[i]}`;
}

export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

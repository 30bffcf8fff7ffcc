import type { Writable } from 'node:stream';

/** pino's JSON fields the one-line rendering shows in its own place (or drops: same on every line). */
const SHOWN = new Set(['level', 'time', 'msg', 'service']);

const value = (v: unknown) =>
  typeof v === 'string' ? (/^[^\s"=]+$/.test(v) ? v : JSON.stringify(v)) : JSON.stringify(v);

/** One JSON log line → `12:00:01 INFO  disco listening url=http://…` (anything unparsable passes as is). */
export function prettyLine(json: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const time = typeof rec.time === 'string' ? rec.time.slice(11, 19) : '';
  const level = String(rec.level ?? '').toUpperCase();
  const fields = Object.entries(rec)
    .filter(([k]) => !SHOWN.has(k))
    .map(([k, v]) => `${k}=${value(v)}`);
  return `${[time, level.padEnd(5), rec.msg ?? '', ...fields].filter((s) => s !== '').join(' ')}\n`;
}

/** A pino destination that writes each record as one human line (for a terminal). */
export function prettyDestination(out: Writable): { write(line: string): void } {
  return {
    write: (chunk) => {
      for (const line of chunk.split('\n')) if (line) out.write(prettyLine(line));
    },
  };
}

/** A line of a file that matched a query. */
export interface LineHit {
  line: number;
  column: number;
  text: string;
}

const MAX_LINE_TEXT = 400;

/** Column index of the first match in a line, or -1. */
export type LineMatcher = (line: string) => number;

/** Cuts long lines (minified code) to a window around the match so results stay readable and small. */
export function excerpt(line: string, column: number): string {
  if (line.length <= MAX_LINE_TEXT) return line;
  const from = Math.max(0, column - 100);
  return `${from > 0 ? '…' : ''}${line.slice(from, from + MAX_LINE_TEXT)}…`;
}

/** The first `max` matching lines of a text, 1-based. */
export function scanLines(text: string, match: LineMatcher, max: number): LineHit[] {
  const hits: LineHit[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length && hits.length < max; i++) {
    const line = (lines[i] as string).replace(/\r$/, '');
    const col = match(line);
    if (col !== -1) hits.push({ line: i + 1, column: col + 1, text: excerpt(line, col) });
  }
  return hits;
}

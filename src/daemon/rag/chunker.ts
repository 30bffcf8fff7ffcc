import { languageOf } from './languages.js';
import type { SyntaxNode, SyntaxParsers } from './syntax.js';
import { bodyOf, COMMENT_TYPES, definitionOf } from './syntax-rules.js';

/** One searchable piece of a file. Lines are 1-based and inclusive. */
export interface Chunk {
  startLine: number;
  endLine: number;
  /** `Class.method`, `function`, `Heading > Subheading`; null for glue code and windows of plain text. */
  symbol: string | null;
  /** function, class, method, section, code, window… */
  kind: string;
  content: string;
}

export interface ChunkOptions {
  /** A chunk grows up to about this many characters; bigger definitions are split. */
  maxChars: number;
  /** Definitions smaller than this join their neighbours instead of standing alone. */
  minChars: number;
  /** Sliding window for text without structure: lines per window and lines shared with the next. */
  windowLines: number;
  overlapLines: number;
}

export const DEFAULT_CHUNK_OPTIONS: ChunkOptions = { maxChars: 2400, minChars: 80, windowLines: 60, overlapLines: 10 };

/** Line geometry of one file: rows are 0-based here, chunks report 1-based lines. */
class Lines {
  readonly rows: string[];
  private readonly offsets: number[];

  constructor(text: string) {
    this.rows = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
    if (this.rows.length > 1 && this.rows[this.rows.length - 1] === '') this.rows.pop();
    this.offsets = new Array(this.rows.length + 1);
    this.offsets[0] = 0;
    for (let i = 0; i < this.rows.length; i++)
      this.offsets[i + 1] = (this.offsets[i] as number) + this.rows[i]!.length + 1;
  }

  size(start: number, end: number): number {
    return (this.offsets[end + 1] as number) - (this.offsets[start] as number);
  }

  text(start: number, end: number, maxChars: number): string {
    const t = this.rows.slice(start, end + 1).join('\n');
    // A single enormous line (data, a bundle) must not make one enormous chunk.
    return t.length > maxChars * 2 ? t.slice(0, maxChars * 2) : t;
  }
}

class ChunkSink {
  readonly chunks: Chunk[] = [];
  constructor(
    readonly lines: Lines,
    readonly opts: ChunkOptions,
  ) {}

  emit(start: number, end: number, symbol: string | null, kind: string): void {
    if (end < start) return;
    const content = this.lines.text(start, end, this.opts.maxChars);
    if (content.trim() === '') return;
    this.chunks.push({ startLine: start + 1, endLine: end + 1, symbol, kind, content });
  }

  /** Sliding window with overlap over rows start..end, each window bounded in lines and characters. */
  window(start: number, end: number, symbol: string | null, kind: string): void {
    const { windowLines, overlapLines, maxChars } = this.opts;
    let from = start;
    while (from <= end) {
      let to = from;
      while (to < end && to - from + 1 < windowLines && this.lines.size(from, to + 1) <= maxChars) to++;
      this.emit(from, to, symbol, kind);
      if (to >= end) break;
      from = Math.max(from + 1, to - overlapLines + 1);
    }
  }
}

const endRow = (n: SyntaxNode) =>
  n.endPosition.column === 0 && n.endPosition.row > n.startPosition.row ? n.endPosition.row - 1 : n.endPosition.row;

const MAX_DEPTH = 6;

/**
 * Chunks a syntax tree: each definition (function, class, method, type…) becomes one chunk with the
 * comments right above it; a definition too big is split into a header and its members (`Class.method`);
 * what lies between definitions (imports, statements, tiny definitions) is merged into glue chunks.
 */
function chunkSyntax(sink: ChunkSink, root: SyntaxNode): void {
  const { lines, opts } = sink;
  const visit = (nodes: (SyntaxNode | null)[], scope: string[], depth: number) => {
    let run: { start: number; end: number; symbols: string[] } | undefined;
    let commentStart: number | undefined;
    let lastEnd = -2;
    const flushRun = (before: number) => {
      if (!run) return;
      const symbol = run.symbols.length > 0 ? run.symbols.slice(0, 3).join(', ') : null;
      if (run.end >= before) sink.emit(run.start, before, symbol, 'code');
      else sink.emit(run.start, run.end, symbol, 'code');
      run = undefined;
    };
    const addToRun = (s: number, e: number, symbol?: string) => {
      if (run && lines.size(run.start, Math.max(run.end, e)) > opts.maxChars) flushRun(Number.POSITIVE_INFINITY);
      if (!run) run = { start: s, end: e, symbols: [] };
      run.end = Math.max(run.end, e);
      if (symbol) run.symbols.push(symbol);
    };
    for (const node of nodes) {
      if (!node) continue;
      const s = node.startPosition.row;
      const e = endRow(node);
      if (COMMENT_TYPES.has(node.type)) {
        if (commentStart === undefined || s > lastEnd + 1) commentStart = s;
        addToRun(s, e);
        lastEnd = e;
        continue;
      }
      const leading = commentStart !== undefined && s <= lastEnd + 1 ? commentStart : undefined;
      commentStart = undefined;
      lastEnd = e;
      const def = definitionOf(node);
      if (def) {
        const start = leading ?? s;
        const size = lines.size(start, e);
        const name = def.name ? [...scope, def.name].join('.') : scope.length > 0 ? scope.join('.') : null;
        if (size < opts.minChars) {
          addToRun(s, e, name ?? undefined);
          continue;
        }
        flushRun(start - 1);
        if (size <= opts.maxChars) {
          sink.emit(start, e, name, def.kind);
          continue;
        }
        const body = depth < MAX_DEPTH ? bodyOf(def) : undefined;
        const first = body?.namedChildren.find((c) => c !== null);
        if (body && first) {
          const headerEnd = Math.max(start, first.startPosition.row - 1);
          sink.window(start, headerEnd, name, def.kind);
          visit(body.namedChildren, [...scope, def.name ?? def.kind], depth + 1);
        } else {
          sink.window(start, e, name, def.kind);
        }
        continue;
      }
      if (lines.size(s, e) > opts.maxChars) {
        flushRun(s - 1);
        if (node.namedChildCount > 0 && depth < MAX_DEPTH) visit(node.namedChildren, scope, depth + 1);
        else sink.window(s, e, scope.length > 0 ? scope.join('.') : null, 'code');
        continue;
      }
      addToRun(leading ?? s, e);
    }
    flushRun(Number.POSITIVE_INFINITY);
  };
  visit(root.namedChildren, [], 0);
}

const FENCE = /^\s*(```|~~~)/;
const HEADING = /^(#{1,6})\s+(.+?)\s*#*\s*$/;

/** Markdown: one chunk per heading section (symbol: the heading path), long sections windowed. */
function chunkMarkdown(sink: ChunkSink): void {
  const rows = sink.lines.rows;
  const sections: { start: number; title: string | null }[] = [{ start: 0, title: null }];
  const stack: { level: number; title: string }[] = [];
  let inFence = false;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as string;
    if (FENCE.test(row)) inFence = !inFence;
    if (inFence) continue;
    const m = HEADING.exec(row);
    if (!m) continue;
    const level = (m[1] as string).length;
    while (stack.length > 0 && (stack[stack.length - 1] as { level: number }).level >= level) stack.pop();
    stack.push({ level, title: m[2] as string });
    sections.push({ start: i, title: stack.map((h) => h.title).join(' > ') });
  }
  for (let k = 0; k < sections.length; k++) {
    const sec = sections[k] as { start: number; title: string | null };
    const end = (sections[k + 1]?.start ?? rows.length) - 1;
    if (end < sec.start) continue;
    if (sink.lines.size(sec.start, end) <= sink.opts.maxChars) sink.emit(sec.start, end, sec.title, 'section');
    else sink.window(sec.start, end, sec.title, 'section');
  }
}

/** Splits one file's text into chunks following its structure; the language comes from its name. */
export async function chunkFile(
  relPath: string,
  text: string,
  parsers: SyntaxParsers,
  opts: ChunkOptions = DEFAULT_CHUNK_OPTIONS,
): Promise<{ language: string; chunks: Chunk[] }> {
  const info = languageOf(relPath);
  const lines = new Lines(text);
  const sink = new ChunkSink(lines, opts);
  if (text.trim() === '') return { language: info.language, chunks: [] };
  if (info.strategy === 'syntax' && info.grammar) {
    const done = await parsers.withTree(info.grammar, text, (root) => {
      chunkSyntax(sink, root);
      return true;
    });
    if (done) return { language: info.language, chunks: sink.chunks };
  }
  if (info.strategy === 'markdown') chunkMarkdown(sink);
  else sink.window(0, lines.rows.length - 1, null, 'window');
  return { language: info.language, chunks: sink.chunks };
}

import type { NextCall } from '../../contracts/budget.js';
import { jsonBytes } from '../workspace/content.js';
import type { OpContext } from './op.js';

export { listOffset, type NextCall, nextCall } from '../../contracts/budget.js';
export { jsonBytes };

/** Bytes a page may take: the caller's result budget (MCP) or `fallback` (the op's REST bound), whichever is less. */
export const budgetOf = (ctx: Pick<OpContext, 'resultBudget'>, fallback = Number.POSITIVE_INFINITY): number =>
  Math.min(ctx.resultBudget ?? fallback, fallback);

/**
 * The longest prefix of `items` whose JSON fits in `budget` bytes, `fixed` bytes being already spent on the
 * rest of the result. Always keeps the first item (the final guard cuts it if it alone is too big).
 */
export function fitItems<T>(items: readonly T[], budget: number, fixed = 0): { kept: T[]; truncated: boolean } {
  let used = fixed + 2;
  let i = 0;
  for (; i < items.length; i++) {
    used += jsonBytes(items[i]) + 1;
    if (used > budget && i > 0) break;
  }
  return { kept: items.slice(0, i), truncated: i < items.length };
}

const isHigh = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLow = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** Bytes one UTF-16 unit outside a surrogate pair takes in JSON.stringify's output, as UTF-8. */
function unitBytes(code: number): number {
  if (code >= 0xd800 && code <= 0xdfff) return 6; // a lone surrogate: `\uXXXX`
  if (code >= 0x80) return code < 0x800 ? 2 : 3;
  if (code >= 0x20) return code === 0x22 || code === 0x5c ? 2 : 1; // `"` and `\` are escaped
  return code === 8 || code === 9 || code === 10 || code === 12 || code === 13 ? 2 : 6; // `\n`…, else `\u00XX`
}

/**
 * The longest head of `text` whose JSON takes at most `maxBytes` (quotes included), never ending between the
 * two halves of a surrogate pair. Perf: one pass counting bytes as JSON.stringify writes them (a lone
 * surrogate as `\uXXXX`), where a binary search serialised a slice a dozen times: every MCP result whose
 * summary is a file's text went through it.
 */
export function headWithin(text: string, maxBytes: number): string {
  let used = 2;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const pair = isHigh(code) && isLow(text.charCodeAt(i + 1));
    used += pair ? 4 : unitBytes(code);
    if (used > maxBytes) return text.slice(0, i);
    if (pair) i++;
  }
  return text;
}

/** The longest tail of `text` whose JSON takes at most `maxBytes`, never starting inside a surrogate pair. */
export function tailWithin(text: string, maxBytes: number): string {
  let used = 2;
  for (let i = text.length - 1; i >= 0; i--) {
    const code = text.charCodeAt(i);
    const pair = isLow(code) && i > 0 && isHigh(text.charCodeAt(i - 1));
    used += pair ? 4 : unitBytes(code);
    if (used > maxBytes) return text.slice(i + 1);
    if (pair) i--;
  }
  return text;
}

/** The first `n` lines of a text, for summaries. */
export function firstLines(text: string, n: number, maxChars = 1200): string {
  const lines = text.split('\n', n + 1);
  const head = lines.slice(0, n).join('\n');
  return head.length > maxChars ? `${head.slice(0, maxChars)}…` : head;
}

/** The last `maxChars` characters of a text, starting at a line when one starts close enough. */
export function lastChars(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const tail = text.slice(text.length - maxChars);
  const nl = tail.indexOf('\n');
  return nl >= 0 && nl < maxChars / 4 ? tail.slice(nl + 1) : tail;
}

/** "1 file" / "3 files". */
export { plural } from '../../shared/plural.js';

/** 1234567 → "1.2 MB". */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * One page of a list for a caller: the items from `offset` (already sliced off by the caller: `items`
 * starts there), cut to the result budget, with `next` (the same call from where this page stops) when
 * more follows, because the budget cut it or because the list itself stopped at its limit (`more`).
 */
export function listPage<T>(
  items: readonly T[],
  opts: {
    ctx: Pick<OpContext, 'resultBudget'>;
    offset: number;
    fixed: number;
    more: boolean;
    next: (offset: number) => NextCall;
  },
): { items: T[]; truncated: boolean; next?: NextCall } {
  const fit =
    opts.ctx.resultBudget === undefined
      ? { kept: [...items], truncated: false }
      : fitItems(items, opts.ctx.resultBudget, opts.fixed);
  const truncated = fit.truncated || opts.more;
  return {
    items: fit.kept,
    truncated,
    ...(truncated ? { next: opts.next(opts.offset + fit.kept.length) } : {}),
  };
}

/**
 * Shaping of Playwright's AI-mode aria snapshots (YAML-like lines, `[ref=eN]` per element) for models:
 * compaction, a token budget, a line diff against the previous snapshot and a text filter.
 *
 * Tokens are counted with a documented approximation, one token per 4 characters (rounded up): no
 * tokenizer package is installed, and it is the rule of thumb OpenAI and Anthropic publish for English.
 */
export const approxTokens = (text: string): number => Math.ceil(text.length / 4);

export { DEFAULT_BUDGET, MAX_BUDGET } from '../../contracts/vocabulary.js';

/**
 * Drops what costs tokens and carries little: pointer-cursor marks, and unnamed `generic` wrappers
 * without their own ref target meaning (their children are lifted one level).
 */
export function compact(yaml: string): string[] {
  const out: string[] = [];
  const lift: number[] = []; // indent widths of removed wrapper lines, innermost last
  for (const raw of yaml.split('\n')) {
    if (raw.trim() === '') continue;
    const indent = raw.length - raw.trimStart().length;
    while (lift.length > 0 && indent <= (lift[lift.length - 1] as number)) lift.pop();
    // Focus on a wrapper (the body when nothing is focused) says nothing, and lifting only some
    // wrappers would shift every line below them in the next diff.
    if (/^\s*- generic( \[active\])? \[ref=(f\d+)?e\d+\]:$/.test(raw)) {
      lift.push(indent);
      continue;
    }
    const line = raw.replace(/ \[cursor=pointer\]/g, '');
    const shift = lift.length * 2;
    out.push(shift > 0 ? line.slice(Math.min(shift, indent)) : line);
  }
  return out;
}

export interface Shaped {
  text: string;
  tokens: number;
  /** Lines left out to stay within the budget (0 when whole). */
  omitted: number;
}

/** The first lines that fit `budget` tokens, with a note saying how many were left out. */
export function withinBudget(lines: readonly string[], budget: number): Shaped {
  const kept: string[] = [];
  let used = 0;
  for (const line of lines) {
    const cost = approxTokens(`${line}\n`);
    if (used + cost > budget) break;
    kept.push(line);
    used += cost;
  }
  const omitted = lines.length - kept.length;
  if (omitted > 0) kept.push(`# … ${omitted} more lines: raise budget, or use find to see only matching elements`);
  const text = kept.join('\n');
  return { text, tokens: approxTokens(text), omitted };
}

/**
 * What changed between two snapshots, as `+ line` / `- line` (a multiset difference of lines, which keeps
 * the order of the new snapshot; bounded and linear, unlike a full edit script).
 */
export function diffLines(before: readonly string[], after: readonly string[]): string[] {
  const count = new Map<string, number>();
  for (const l of before) count.set(l, (count.get(l) ?? 0) + 1);
  const added: string[] = [];
  for (const l of after) {
    const n = count.get(l) ?? 0;
    if (n > 0) count.set(l, n - 1);
    else added.push(`+ ${l}`);
  }
  const removed: string[] = [];
  const left = new Map(count);
  for (const l of before) {
    const n = left.get(l) ?? 0;
    if (n > 0) {
      left.set(l, n - 1);
      removed.push(`- ${l}`);
    }
  }
  return [...removed, ...added];
}

/** The lines matching `query` (case-insensitive), each with its ancestors for context. */
export function findLines(lines: readonly string[], query: string): string[] {
  const q = query.toLowerCase();
  const out: string[] = [];
  const emitted = new Set<number>();
  const stack: { indent: number; index: number }[] = [];
  lines.forEach((line, index) => {
    const indent = line.length - line.trimStart().length;
    while (stack.length > 0 && (stack[stack.length - 1] as { indent: number }).indent >= indent) stack.pop();
    if (line.toLowerCase().includes(q)) {
      for (const a of stack) {
        if (!emitted.has(a.index)) {
          emitted.add(a.index);
          out.push(lines[a.index] as string);
        }
      }
      if (!emitted.has(index)) {
        emitted.add(index);
        out.push(line);
      }
    }
    stack.push({ indent, index });
  });
  return out;
}

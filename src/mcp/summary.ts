import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { headWithin, jsonBytes, type NextCall, plural } from '../daemon/ops/budget.js';
import type { Op } from '../daemon/ops/op.js';
import { fitJson } from './fit.js';

/** Bytes of JSON the text summary may take; the structured result gets the rest of the cap. */
export const SUMMARY_MAX_BYTES = 2048;
/** Room kept for the result's envelope and the note that says it was cut. */
const ENVELOPE_BYTES = 320;

/** The result budget handed to ops: what is left of the cap once the summary and envelope have theirs. */
export const opBudget = (capBytes: number) => capBytes - SUMMARY_MAX_BYTES - ENVELOPE_BYTES;

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…` : s);

/** One line for a list entry: its name-like fields, else its compact JSON. */
function entryLine(entry: unknown): string {
  if (entry && typeof entry === 'object' && !Array.isArray(entry)) {
    const o = entry as Record<string, unknown>;
    const label = ['name', 'path', 'title', 'id', 'subject'].map((k) => o[k]).find((v) => typeof v === 'string');
    if (typeof label === 'string') return clip(label, 120);
  }
  return clip(JSON.stringify(entry) ?? '', 120);
}

/** The generic summary of an op without its own: scalar fields, then each list's count and first entries. */
export function genericSummary(value: unknown): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return clip(JSON.stringify(value), 400);
  const scalars: string[] = [];
  const lists: string[] = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k === 'next') continue;
    if (Array.isArray(v)) {
      const first = v.slice(0, 5).map((e) => `  - ${entryLine(e)}`);
      lists.push(
        [`${k}: ${plural(v.length, 'entry', 'entries')}`, ...first, ...(v.length > 5 ? ['  …'] : [])].join('\n'),
      );
    } else if (v === null || typeof v !== 'object') {
      if (scalars.length < 10) scalars.push(`${k}: ${clip(String(v), 80)}`);
    }
  }
  return [scalars.join(', '), ...lists].filter(Boolean).join('\n');
}

/**
 * A tool result for a model: `structuredContent` carries the data (cut to the cap when an op returned more,
 * which the final guard here makes impossible to exceed), the text content a short human summary.
 */
export function cappedToolResult(op: Pick<Op, 'name' | 'summary'>, value: unknown, capBytes: number): CallToolResult {
  let summary: string;
  try {
    summary = op.summary ? op.summary(value as never) : genericSummary(value);
  } catch {
    summary = genericSummary(value);
  }
  summary = headWithin(summary, SUMMARY_MAX_BYTES);
  const fitted = fitJson(value, capBytes - jsonBytes(summary) - ENVELOPE_BYTES);
  if (!fitted) {
    return {
      isError: true,
      content: [{ type: 'text', text: `${op.name} returned a result too large to send; narrow the request.` }],
    };
  }
  const next = (fitted.value as { next?: NextCall } | null)?.next;
  const notes: string[] = [];
  if (next) notes.push(`More: call ${next.tool} with ${clip(JSON.stringify(next.arguments), 200)}.`);
  else if (fitted.cut) {
    notes.push(`Cut to fit the ${Math.round(capBytes / 1024)} KB result cap: narrow the request for the rest.`);
  }
  return {
    structuredContent: fitted.value as Record<string, unknown>,
    content: [{ type: 'text', text: [summary, ...notes].filter(Boolean).join('\n') }],
  };
}

import { headWithin, jsonBytes } from '../daemon/ops/budget.js';

/** Marker left where the final guard cut a string. */
const CUT = '…[cut]';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Slot = { parent: Json[] | { [k: string]: Json }; key: string | number; bytes: number };

/** Every string and array under `value` with its JSON size, so the biggest can be cut first. */
function slots(value: Json, out: Slot[] = [], parent?: Slot['parent'], key?: string | number): Slot[] {
  if (typeof value === 'string') {
    if (parent !== undefined && key !== undefined) out.push({ parent, key, bytes: jsonBytes(value) });
  } else if (Array.isArray(value)) {
    // An array of one is never cut whole: what it holds is cut instead.
    if (parent !== undefined && key !== undefined && value.length > 1)
      out.push({ parent, key, bytes: jsonBytes(value) });
    value.forEach((v, i) => {
      slots(v, out, value, i);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) slots(v, out, value, k);
  }
  return out;
}

/**
 * Whether `value`'s JSON surely takes at most `limit` bytes, by a bound that needs no serialising: a string
 * of n UTF-16 units takes at most 6n + 2 bytes (`\\uXXXX` is the longest form of one unit), a number 24.
 * False as soon as the bound passes `limit`, or for anything but plain data (a `toJSON`, say), which is then
 * measured exactly. Perf: the usual result is far under the cap, and measuring it meant serialising it once
 * more than sending it does (~4 KB: a JSON.stringify per MCP call for nothing).
 */
export function surelyWithin(value: unknown, limit: number): boolean {
  let left = limit;
  const walk = (v: unknown, depth: number): boolean => {
    if (typeof v === 'string') left -= 6 * v.length + 2;
    else if (typeof v === 'number') left -= 24;
    else if (v === null || typeof v === 'boolean') left -= 5;
    else if (depth > 32 || typeof v !== 'object') return false;
    else if (Array.isArray(v)) {
      left -= 2 + v.length;
      for (const e of v) if (e === undefined || !walk(e, depth + 1)) return false;
    } else {
      const proto = Object.getPrototypeOf(v);
      if ((proto !== Object.prototype && proto !== null) || 'toJSON' in v) return false;
      left -= 2;
      for (const [k, e] of Object.entries(v)) {
        if (e === undefined) continue;
        left -= 6 * k.length + 4;
        if (!walk(e, depth + 1)) return false;
      }
    }
    return left >= 0;
  };
  return walk(value, 0);
}

/**
 * The final guard of the MCP surface: nothing over the cap leaves, whatever an op returned (ops page
 * their own big results; this catches the rest, e.g. one huge record). Cuts the biggest strings and arrays
 * (array tails) until the JSON fits, keeping the shape the output schema promises, and sets `truncated`
 * when the result has that field. Returns undefined when nothing can make it fit.
 */
export function fitJson(value: unknown, maxBytes: number): { value: unknown; cut: boolean } | undefined {
  if (surelyWithin(value, maxBytes)) return { value, cut: false };
  let size = jsonBytes(value);
  if (size <= maxBytes) return { value, cut: false };
  const copy = JSON.parse(JSON.stringify(value)) as Json;
  for (let round = 0; round < 64 && size > maxBytes; round++) {
    const biggest = slots(copy).sort((a, b) => b.bytes - a.bytes)[0];
    if (!biggest || biggest.bytes <= 8) return undefined;
    const excess = size - maxBytes;
    const target = (biggest.parent as Record<string | number, Json>)[biggest.key];
    if (typeof target === 'string') {
      const keep = Math.max(0, biggest.bytes - excess - jsonBytes(CUT) - 16);
      (biggest.parent as Record<string | number, Json>)[biggest.key] = headWithin(target, keep) + CUT;
    } else if (Array.isArray(target)) {
      const per = biggest.bytes / target.length;
      target.length -= Math.min(target.length - 1, Math.max(1, Math.ceil(excess / per)));
    }
    size = jsonBytes(copy);
  }
  if (size > maxBytes) return undefined;
  if (copy && typeof copy === 'object' && !Array.isArray(copy) && typeof copy.truncated === 'boolean') {
    copy.truncated = true;
  }
  return { value: copy, cut: true };
}

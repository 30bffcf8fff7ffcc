import { z } from 'zod';
import { ValidationError } from '../errors.js';
import type { AnyZodObject } from './op.js';

type JsonSchema = {
  type?: string | string[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
};

/**
 * The JSON Schema (2020-12) of an op's input or output, as OpenAPI 3.1 and MCP both publish it:
 * one conversion for every surface.
 */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return withoutSafeIntBounds(rest) as Record<string, unknown>;
}

/** An input field's closed list of values and its default, as the CLI's command table shows and checks them. */
export interface FieldFacts {
  enum?: string[];
  default?: string | number | boolean;
}

/**
 * The fields of an input that have a closed list of values (an enum, or the string enum of a union) or a
 * plain default: generated into `src/shared/op-routes.ts` (`OP_FIELDS`) so the CLI states neither again.
 */
export function fieldFactsOf(input: z.ZodType): Record<string, FieldFacts> {
  type Prop = { enum?: string[]; anyOf?: { type?: string; enum?: string[] }[]; default?: unknown };
  const props = (jsonSchemaOf(input, 'input').properties ?? {}) as Record<string, Prop>;
  const out: Record<string, FieldFacts> = {};
  for (const [name, p] of Object.entries(props)) {
    const values = p.enum ?? p.anyOf?.find((s) => s.type === 'string' && s.enum)?.enum;
    const facts: FieldFacts = {};
    if (values) facts.enum = values;
    const d = p.default;
    if (typeof d === 'string' || typeof d === 'number' || typeof d === 'boolean') facts.default = d;
    if (Object.keys(facts).length > 0) out[name] = facts;
  }
  return out;
}

/**
 * zod writes the safe-integer range as minimum/maximum on every `.int()`: bounds that say nothing, which
 * every tools/list repeated some sixty times (3 KB of a model's context). Real bounds stay.
 */
function withoutSafeIntBounds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutSafeIntBounds);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'minimum' && v === Number.MIN_SAFE_INTEGER) continue;
    if (k === 'maximum' && v === Number.MAX_SAFE_INTEGER) continue;
    out[k] = withoutSafeIntBounds(v);
  }
  return out;
}

const cache = new WeakMap<AnyZodObject, Record<string, JsonSchema>>();

function propertiesOf(schema: AnyZodObject): Record<string, JsonSchema> {
  let props = cache.get(schema);
  if (!props) {
    props = ((z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema).properties ??
      {}) as Record<string, JsonSchema>;
    cache.set(schema, props);
  }
  return props;
}

function typesOf(s: JsonSchema | undefined): string[] {
  if (!s) return [];
  if (s.anyOf) return s.anyOf.flatMap(typesOf);
  return Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
}

/**
 * Query strings carry only strings; turn them into the types the op's schema expects, so one zod
 * schema serves JSON bodies, query strings and MCP arguments alike.
 */
export function coerceQuery(schema: AnyZodObject, query: Record<string, unknown>): Record<string, unknown> {
  const props = propertiesOf(schema);
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(query)) {
    const types = typesOf(props[key]);
    const value = Array.isArray(raw) && !types.includes('array') ? raw[raw.length - 1] : raw;
    if (typeof value !== 'string') {
      out[key] = value;
    } else if ((types.includes('integer') || types.includes('number')) && !types.includes('string')) {
      out[key] = value.trim() === '' ? value : Number(value);
    } else if (types.includes('boolean') && !types.includes('string')) {
      out[key] =
        value === 'true' || value === '1' || value === '' ? true : value === 'false' || value === '0' ? false : value;
    } else {
      out[key] = value;
    }
  }
  return out;
}

const strictCache = new WeakMap<AnyZodObject, AnyZodObject>();

/**
 * Validates raw input against an op's schema, turning zod issues into one typed error.
 * Unknown keys are refused (a typo like `recursiv` should fail loudly, not be ignored).
 */
export function parseInput<S extends AnyZodObject>(schema: S, raw: unknown): z.output<S> {
  const oversized = oversizedPart(raw);
  if (oversized) throw new ValidationError(oversized.message, { path: oversized.path });
  let strict = strictCache.get(schema);
  if (!strict) {
    strict = schema.strict();
    strictCache.set(schema, strict);
  }
  const result = strict.safeParse(raw);
  if (result.success) return result.data as z.output<S>;
  const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  const first = issues[0];
  throw new ValidationError(first ? `${first.path || 'input'}: ${first.message}` : 'invalid input', { issues });
}

/** Most keys of any object in an op's input (`env` has the most in practice: a few dozen variables). */
export const MAX_INPUT_KEYS = 1_000;
/** Most items of any array in an op's input (an argv; the schemas' own limits are lower or equal). */
export const MAX_INPUT_ITEMS = 10_000;

/**
 * Security (event loop): zod checks a record's or an array's size only after validating every entry, some
 * 5 µs a key: a 2 MB body of 200,000 `env` variables held the event loop for seconds. One cheap walk first
 * refuses any object or array in the input over these bounds, whatever the schema.
 */
function oversizedPart(raw: unknown): { message: string; path: string } | undefined {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value: raw, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop() as { value: unknown; path: string; depth: number };
    if (value === null || typeof value !== 'object' || depth > 32) continue;
    const name = path || 'input';
    if (Array.isArray(value)) {
      if (value.length > MAX_INPUT_ITEMS)
        return { message: `${name}: at most ${MAX_INPUT_ITEMS} items (got ${value.length})`, path };
      value.forEach((v, i) => {
        if (v !== null && typeof v === 'object')
          stack.push({ value: v, path: `${path}${path ? '.' : ''}${i}`, depth: depth + 1 });
      });
      continue;
    }
    const keys = Object.keys(value);
    if (keys.length > MAX_INPUT_KEYS)
      return { message: `${name}: at most ${MAX_INPUT_KEYS} keys (got ${keys.length})`, path };
    for (const k of keys) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== null && typeof v === 'object')
        stack.push({ value: v, path: `${path}${path ? '.' : ''}${k}`, depth: depth + 1 });
    }
  }
  return undefined;
}

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { coerceQuery, parseInput } from '../../src/daemon/ops/input.js';

const schema = z.object({
  path: z.string(),
  recursive: z.boolean().default(false),
  depth: z.number().int().optional(),
  name: z.string().optional(),
});

describe('query coercion', () => {
  it('turns query strings into the types the schema expects', () => {
    expect(coerceQuery(schema, { path: 'a', recursive: 'true', depth: '3', name: '42' })).toEqual({
      path: 'a',
      recursive: true,
      depth: 3,
      name: '42',
    });
    expect(coerceQuery(schema, { recursive: 'false' })).toEqual({ recursive: false });
  });

  it('leaves junk for validation to reject', () => {
    expect(() => parseInput(schema, coerceQuery(schema, { path: 'a', depth: 'x' }))).toThrowError(/depth/);
    expect(() => parseInput(schema, coerceQuery(schema, { path: 'a', recursive: 'maybe' }))).toThrowError(/recursive/);
  });
});

describe('parseInput', () => {
  it('applies defaults', () => {
    expect(parseInput(schema, { path: 'a' })).toEqual({ path: 'a', recursive: false });
  });

  it('refuses unknown keys so typos fail loudly', () => {
    expect(() => parseInput(schema, { path: 'a', recursiv: true })).toThrowError(
      expect.objectContaining({ code: 'validation_failed' }),
    );
  });

  it('lists every issue in details', () => {
    try {
      parseInput(schema, { depth: 'x' });
      expect.unreachable();
    } catch (err) {
      expect((err as { details: { issues: unknown[] } }).details.issues.length).toBeGreaterThanOrEqual(2);
    }
  });
});

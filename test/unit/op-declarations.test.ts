import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { OPS } from '../../src/daemon/ops/index.js';
import { AREAS, type Op } from '../../src/daemon/ops/op.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const ops = OPS as unknown as readonly Op[];
const keys = (schema: z.ZodType): string[] =>
  'shape' in schema ? Object.keys((schema as unknown as { shape: object }).shape) : [];

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|mjs|cjs|js)$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name));
}

/**
 * The files that define ops — contracts (`src/contracts/`) and the handlers bound to them (`implement(` in
 * `src/daemon/ops/`): the only place an op's name may be written next to what it means.
 */
const DEFINITIONS = new Set(
  ['src/contracts', 'src/daemon/ops'].flatMap((dir) =>
    [...readdirSync(path.join(root, dir))]
      .filter((f) =>
        /defineContract\(\{|defineOp\(\{|= implement\(/.test(readFileSync(path.join(root, dir, f), 'utf8')),
      )
      .map((f) => path.join(root, dir, f)),
  ),
);

describe('op facts are declared, not inferred from names', () => {
  const names = ops.map((o) => o.name);
  const prefixes = [...new Set(names.filter((n) => n.includes('_')).map((n) => n.slice(0, n.indexOf('_'))))];
  const alt = (xs: string[]) => xs.map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const q = `['"\`]`;
  const patterns: Array<[string, RegExp]> = [
    ['startsWith an op-name prefix', new RegExp(`startsWith\\(${q}(${alt(prefixes)})_`)],
    [
      'compares with an op name',
      new RegExp(`(===|!==)\\s*${q}(${alt(names)})${q}|${q}(${alt(names)})${q}\\s*(===|!==)`),
    ],
    ['switches on an op name', new RegExp(`case ${q}(${alt(names)})${q}:`)],
    ['regex over op-name prefixes', new RegExp(`/\\^\\(?(${alt(prefixes)})(_|\\|)`)],
    ['splits an op name', /\bname\.split\(['"`]_['"`]\)/],
  ];

  it('no code outside the op definitions matches op names (the grep finds the old checks when planted)', () => {
    // The patterns would have caught what they replace.
    expect(patterns[0]?.[1].test("if (op.name.startsWith('container_'))")).toBe(true);
    expect(patterns[1]?.[1].test("op.name === 'container_list'")).toBe(true);
    expect(patterns[4]?.[1].test("op.name.split('_')[0]")).toBe(true);
    const hits: string[] = [];
    for (const file of [...sources('src'), ...sources('scripts')]) {
      if (DEFINITIONS.has(file) || file.endsWith(path.join('src', 'shared', 'op-routes.ts'))) continue;
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          for (const [what, re] of patterns)
            if (re.test(line)) hits.push(`${path.relative(root, file)}:${i + 1} ${what}: ${line.trim()}`);
        });
    }
    expect(hits).toEqual([]);
  });

  it.each(ops.map((o) => [o.name, o] as const))('%s declares consistent facts', (_name, op) => {
    const input = keys(op.input);
    const output = keys(op.output);
    expect(Object.keys(AREAS)).toContain(op.area);
    // Routing: the field the target reads exists; an op that names a container is routed to it.
    if (op.target === 'container') expect(input.includes('container') || input.includes('id')).toBe(true);
    if (op.target === 'process') expect(input).toContain('id');
    if (input.includes('container')) expect(op.target).toBe('container');
    // Index refresh: every op that writes files says so, and can say which container.
    if (op.scope === 'files:write') expect(op.changesWorkspace).toBe(true);
    if (op.changesWorkspace) {
      expect(op.target).toBe('container');
      expect(op.annotations.readOnlyHint).toBe(false);
    }
    // Annotations agree with each other.
    if (op.annotations.readOnlyHint) {
      expect(op.annotations.destructiveHint).toBe(false);
      expect(['GET', 'POST']).toContain(op.method);
    }
    if (op.method === 'GET') expect(op.annotations.readOnlyHint).toBe(true);
    if (op.method === 'DELETE') expect(op.annotations.destructiveHint).toBe(true);
    // Cluster bookkeeping reads the result fields it names.
    if (op.cluster === 'container_created' || op.cluster === 'container_deleted')
      expect(output).toEqual(expect.arrayContaining(['id', 'name']));
    if (output.includes('processId') && op.target !== 'process') expect(op.cluster).toBe('process_started');
    if (op.cluster === 'process_started') expect(output).toContain('processId');
    if (op.cluster === 'list_merged') expect(op.annotations.readOnlyHint).toBe(true);
    // Admin ops are in the admin area and nothing else is.
    expect(op.area === 'admin').toBe(op.scope === 'admin');
  });

  it('every area has at least one op', () => {
    expect(new Set(ops.map((o) => o.area))).toEqual(new Set(Object.keys(AREAS)));
  });
});

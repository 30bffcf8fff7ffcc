import type { Command } from 'commander';
import type { OpName } from '../../daemon/ops/index.js';
import { OP_ROUTES } from '../../shared/op-routes.js';
import { ApiError } from '../client.js';
import { clientFor } from '../context.js';
import { table } from '../output.js';
import { type CommandDeps, outputFor, withJson } from './shared.js';

/**
 * `disco call <op> [json]` reaches every op of the registry by name, so nothing the daemon can do is
 * missing from the CLI; `disco ops` lists them. The named commands are friendlier shortcuts.
 */
export function registerCall(program: Command, deps: CommandDeps): void {
  withJson(
    program
      .command('ops [name]')
      .description('list every operation the daemon offers (for `disco call`); with a name, its input schema'),
  ).action(async (name: string | undefined, opts) => {
    // Perf: descriptions and schemas are a generated file of their own, loaded by this command only.
    const { OP_DOCS } = await import('../../shared/op-docs.js');
    const out = outputFor(deps, opts);
    if (name !== undefined) {
      const route = (OP_ROUTES as Record<string, (typeof OP_ROUTES)[keyof typeof OP_ROUTES] | undefined>)[name];
      const doc = OP_DOCS[name];
      if (!route || !doc) throw new ApiError('not_found', `unknown operation '${name}' (see \`disco ops\`)`, 404);
      const info = { name, ...route, path: `/api/v1${route.path}`, description: doc.description, input: doc.input };
      out.result(info, () => describeOp(info));
      return;
    }
    const rows = Object.entries(OP_ROUTES).map(([op, o]) => ({
      name: op,
      method: o.method,
      path: `/api/v1${o.path}`,
      scope: o.scope,
      title: o.title,
      description: OP_DOCS[op]?.description ?? '',
    }));
    out.result({ ops: rows }, () =>
      [
        table(
          rows.map((r) => ({ ...r, description: firstSentence(r.description) })),
          ['name', 'method', 'path', 'description'],
        ),
        '',
        "disco ops <name> shows an op’s input; disco call <name> '{…}' calls it",
      ].join('\n'),
    );
  });
  program
    .command('call <op> [input]')
    .description(
      'call any operation with a JSON input, print its JSON result: disco call git_status \'{"container":"web"}\'',
    )
    .action(async (name: string, input: string | undefined) => {
      if (!Object.hasOwn(OP_ROUTES, name)) {
        throw new ApiError('not_found', `unknown operation '${name}' (see \`disco ops\`)`, 404);
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(input ?? '{}');
      } catch {
        throw new ApiError('validation_failed', 'input must be a JSON object', 400);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new ApiError('validation_failed', 'input must be a JSON object', 400);
      }
      const result = await clientFor(deps.cliEnv()).call(name as OpName, parsed as never);
      outputFor(deps, { json: true }).result(result, () => '');
    });
}

const firstSentence = (text: string) => {
  const m = /^(.*?[.!?])(\s|$)/.exec(text);
  const one = m?.[1] ?? text;
  return one.length > 90 ? `${one.slice(0, 89)}…` : one;
};

interface FieldSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  anyOf?: FieldSchema[];
  items?: FieldSchema;
}

const typeOf = (f: FieldSchema): string => {
  if (f.enum) return f.enum.map((v) => JSON.stringify(v)).join('|');
  if (f.anyOf) return f.anyOf.map(typeOf).join(' or ');
  if (f.type === 'array') return `${f.items ? typeOf(f.items) : 'any'}[]`;
  return Array.isArray(f.type) ? f.type.join('|') : (f.type ?? 'any');
};

/** An op as a person reads it: what it does, then each input field with type, default and meaning. */
function describeOp(op: {
  name: string;
  method: string;
  path: string;
  scope: string | null;
  title: string;
  description: string;
  input: Record<string, unknown>;
}): string {
  const props = (op.input.properties ?? {}) as Record<string, FieldSchema>;
  const required = new Set((op.input.required ?? []) as string[]);
  const rows = Object.entries(props).map(([field, f]) => ({
    field: required.has(field) ? field : `${field}?`,
    type: typeOf(f),
    default: f.default === undefined ? '' : JSON.stringify(f.default),
    description: f.description ?? '',
  }));
  return [
    `${op.name} — ${op.title}`,
    `${op.method} ${op.path}${op.scope ? `  (scope ${op.scope})` : ''}`,
    '',
    op.description,
    '',
    rows.length > 0 ? table(rows, ['field', 'type', 'default', 'description']) : 'no input',
    '',
    `disco call ${op.name} '{…}'   (--json prints the full JSON Schema)`,
  ].join('\n');
}

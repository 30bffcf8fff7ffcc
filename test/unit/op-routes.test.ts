import { describe, expect, it } from 'vitest';
import { OPS } from '../../src/daemon/ops/index.js';
import { fieldFactsOf, jsonSchemaOf } from '../../src/daemon/ops/input.js';
import { OP_DOCS } from '../../src/shared/op-docs.js';
import { OP_FIELDS, OP_ROUTES } from '../../src/shared/op-routes.js';

/** The CLI calls ops through a generated table (so it never loads the handlers): it must match the registry. */
describe('OP_ROUTES', () => {
  it('agrees with the op registry (run `npm run gen:routes` after changing an op)', () => {
    const fromRegistry = Object.fromEntries(
      OPS.map((o) => [o.name, { method: o.method, path: o.path, scope: o.scope, title: o.title }]),
    );
    expect(OP_ROUTES).toEqual(fromRegistry);
  });

  it('carries each op’s input fields with a closed list of values or a default (OP_FIELDS), for the CLI table', () => {
    const fromRegistry = Object.fromEntries(
      OPS.map((o) => [o.name, fieldFactsOf(o.input)] as const).filter(([, f]) => Object.keys(f).length > 0),
    );
    expect(OP_FIELDS).toEqual(fromRegistry);
    expect(OP_FIELDS.process_kill?.signal).toEqual({
      enum: ['SIGTERM', 'SIGKILL', 'SIGINT', 'SIGHUP'],
      default: 'SIGTERM',
    });
    expect(OP_FIELDS.container_create?.network?.enum).toEqual(['off', 'egress', 'host']); // the string half of a union
  });

  it('carries each op’s description and input schema for `disco ops <name>`', () => {
    const fromRegistry = Object.fromEntries(
      OPS.map((o) => [o.name, { description: o.description, input: jsonSchemaOf(o.input, 'input') }]),
    );
    expect(OP_DOCS).toEqual(fromRegistry);
  });
});

import { describe, expect, it } from 'vitest';
import { OPS } from '../../src/daemon/ops/index.js';
import { jsonSchemaOf } from '../../src/daemon/ops/input.js';
import { OP_DOCS } from '../../src/shared/op-docs.js';
import { OP_ROUTES } from '../../src/shared/op-routes.js';

/** The CLI calls ops through a generated table (so it never loads the handlers): it must match the registry. */
describe('OP_ROUTES', () => {
  it('agrees with the op registry (run `npm run gen:routes` after changing an op)', () => {
    const fromRegistry = Object.fromEntries(
      OPS.map((o) => [o.name, { method: o.method, path: o.path, scope: o.scope, title: o.title }]),
    );
    expect(OP_ROUTES).toEqual(fromRegistry);
  });

  it('carries each op’s description and input schema for `disco ops <name>`', () => {
    const fromRegistry = Object.fromEntries(
      OPS.map((o) => [o.name, { description: o.description, input: jsonSchemaOf(o.input, 'input') }]),
    );
    expect(OP_DOCS).toEqual(fromRegistry);
  });
});

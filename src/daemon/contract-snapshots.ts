import { toolDefinitions } from '../mcp/tools.js';
import { buildOpenApi } from './http/openapi.js';
import { OPS } from './ops/index.js';
import type { Op } from './ops/op.js';

/**
 * The public contract as committed under test/snapshots/: the MCP tool list and the OpenAPI document, with a
 * fixed version so only a change of contract changes them. `npm run gen:snapshots` writes them;
 * test/unit/contract-snapshots.test.ts fails when they differ, so every contract change is a visible diff.
 */
export function contractSnapshots(): Record<string, unknown> {
  const ops = OPS as unknown as readonly Op[];
  return {
    'test/snapshots/mcp-tools.json': toolDefinitions(ops),
    'test/snapshots/openapi.json': buildOpenApi(ops, { version: '0.0.0-snapshot' }),
  };
}

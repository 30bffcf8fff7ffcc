import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { DiscoError } from '../../daemon/errors.js';
import { containerGet } from '../../daemon/ops/containers.js';
import { fileList } from '../../daemon/ops/files.js';
import { jsonSchemaOf, parseInput } from '../../daemon/ops/input.js';
import { invokeOp } from '../../daemon/ops/invoke.js';
import { type Op, type OpContext, refusal } from '../../daemon/ops/op.js';
import { portsList } from '../../daemon/ops/previews.js';
import { processList, processOutput } from '../../daemon/ops/processes.js';
import { containerRef } from '../../daemon/ops/schemas.js';
import { APP_ONLY_META } from './meta.js';

/** Output a view polls at once: enough for a screenful, small enough to poll every second. */
const FOLLOW_MAX_BYTES = 64 * 1024;
const OVERVIEW_FILES = 200;

/**
 * Tools only the views call (MCP Apps `visibility: ['app']`): each composes ops through invokeOp, so scopes,
 * ownership, validation and errors are those of the ops; `base` is the op whose refusal hides the helper.
 */
interface Helper {
  tool: Tool;
  base: Pick<Op, 'name' | 'scope' | 'thirdPartyClients'>;
  run: (rawInput: unknown, ctx: OpContext) => Promise<unknown>;
}

const readOnly = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

function helper<I extends z.ZodObject>(
  name: string,
  title: string,
  description: string,
  base: Helper['base'],
  input: I,
  run: (input: z.output<I>, ctx: OpContext) => Promise<unknown>,
): Helper {
  return {
    base,
    run: (rawInput, ctx) => run(parseInput(input, rawInput ?? {}), ctx),
    tool: {
      name,
      title,
      description,
      inputSchema: jsonSchemaOf(input, 'input') as Tool['inputSchema'],
      annotations: { title, ...readOnly },
      _meta: APP_ONLY_META,
    },
  };
}

/** A part of the overview the caller may not see (scope) or that failed comes back as null, not as an error. */
async function part<T>(run: () => Promise<T>): Promise<T | null> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof DiscoError) return null;
    throw err;
  }
}

const followInput = z.object({
  id: z.string().min(1).max(64).describe('The processId exec returned.'),
  offset: z.number().int().min(0).default(0),
});
const overviewInput = z.object({ container: containerRef });

export const HELPERS: readonly Helper[] = [
  helper(
    'ui_process_follow',
    'Follow process (view)',
    'For the command view: output of a process since offset, and whether it still runs.',
    processOutput,
    followInput,
    async ({ id, offset }, ctx) => {
      return invokeOp(processOutput, { id, offset, maxBytes: FOLLOW_MAX_BYTES }, ctx);
    },
  ),
  helper(
    'ui_container_overview',
    'Container overview (view)',
    'For the container view: the container, its top-level files, running processes and open ports.',
    containerGet,
    overviewInput,
    async ({ container }, ctx) => {
      const c = await invokeOp(containerGet, { id: container }, ctx);
      const [files, processes, ports] = await Promise.all([
        part(() => invokeOp(fileList, { container: c.id, limit: OVERVIEW_FILES }, ctx)),
        part(() => invokeOp(processList, { container: c.id }, ctx)),
        part(() => invokeOp(portsList, { container: c.id }, ctx)),
      ]);
      return {
        container: c,
        files: files && { entries: files.entries, truncated: files.truncated },
        processes: processes?.processes ?? null,
        ports: ports?.ports ?? null,
      };
    },
  ),
];

export const helperByName = new Map(HELPERS.map((h) => [h.tool.name, h]));

/** The helpers a caller may use: those whose base op it may call. */
export const helpersFor = (principal: OpContext['principal']): Tool[] =>
  HELPERS.filter((h) => !refusal(h.base, principal)).map((h) => h.tool);

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { DiscoError, toDiscoError } from '../daemon/errors.js';
import { jsonSchemaOf } from '../daemon/ops/input.js';
import { invokeOp } from '../daemon/ops/invoke.js';
import { type Op, refusal } from '../daemon/ops/op.js';
import { type Extra, type McpCallContext, opContextFor } from './context.js';
import { cappedToolResult, opBudget } from './summary.js';

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') => jsonSchemaOf(schema, io) as Tool['inputSchema'];

/** Every op as a tool, with explicit annotations, computed once; tools/list shows each caller its share. */
export function toolDefinitions(ops: readonly Op[]): Tool[] {
  return ops.map((op) => ({
    name: op.name,
    title: op.title,
    description: op.description,
    inputSchema: jsonSchema(op.input, 'input'),
    outputSchema: jsonSchema(op.output, 'output'),
    annotations: { title: op.title, ...op.annotations },
  }));
}

/** Op errors are tool results with isError and the same `{ error: { code, message } }` body as REST. */
export function toolError(err: unknown): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: JSON.stringify(toDiscoError(err).toBody()) }] };
}

/** Tools beyond the ops (MCP Apps, `apps/`): may annotate the listed tools and add tools of its own. */
export interface ToolExtension {
  list: (tools: Tool[], extra: Extra) => Tool[];
  /** Undefined when `name` is none of its tools. */
  call: (name: string, args: Record<string, unknown>, extra: Extra) => Promise<CallToolResult> | undefined;
}

/**
 * Registers tools/list and tools/call on the server from the op registry. Dispatch goes through
 * invokeOp, so validation, scopes and errors are exactly those of REST. An unknown tool is a
 * protocol error (InvalidParams), not a tool result.
 */
export function registerOpTools(
  mcp: McpServer,
  ops: readonly Op[],
  context: McpCallContext,
  extension?: ToolExtension,
): void {
  const tools = toolDefinitions(ops);
  const byName = new Map(ops.map((op) => [op.name, op]));
  mcp.server.registerCapabilities({ tools: { listChanged: false } });
  // Least privilege: a token sees only the tools it may call (a connector's token no admin or token tools).
  mcp.server.setRequestHandler(ListToolsRequestSchema, (_request, extra) => {
    const principal = context.principalOf(extra);
    const mine = tools.filter((t) => !refusal(byName.get(t.name) as Op, principal));
    return { tools: extension ? extension.list(mine, extra) : mine };
  });
  mcp.server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const op = byName.get(request.params.name);
    if (!op) {
      const extended = extension?.call(request.params.name, request.params.arguments ?? {}, extra);
      if (extended) return extended;
    }
    if (!op) throw new McpError(ErrorCode.InvalidParams, `unknown tool: ${request.params.name}`);
    const cap = context.services.config.resultMaxBytes;
    const ctx = { ...opContextFor(context, extra, request.params._meta?.progressToken), resultBudget: opBudget(cap) };
    try {
      // Model-sized: the op pages to the budget, the summary is short, and nothing over the cap leaves.
      const result = await invokeOp(op, request.params.arguments ?? {}, ctx);
      const image = op.binary?.(result);
      if (image) {
        // A screenshot: the image itself, then the rest of the result (capped, summarised) beside it.
        const rest = cappedToolResult(op, image.rest, cap);
        return { ...rest, content: [{ type: 'image', data: image.base64, mimeType: image.mimeType }, ...rest.content] };
      }
      return cappedToolResult(op, result, cap);
    } catch (err) {
      if (!(err instanceof DiscoError)) context.log.error({ err, tool: op.name }, 'tool failed');
      return toolError(err);
    }
  });
}

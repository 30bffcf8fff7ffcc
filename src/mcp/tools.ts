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
import { type McpCallContext, opContextFor } from './context.js';

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

/** A tool result carries the JSON twice: as structuredContent and as the first text content. */
export function toolResult(value: unknown): CallToolResult {
  return {
    structuredContent: value as Record<string, unknown>,
    content: [{ type: 'text', text: JSON.stringify(value) }],
  };
}

/** Op errors are tool results with isError and the same `{ error: { code, message } }` body as REST. */
export function toolError(err: unknown): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: JSON.stringify(toDiscoError(err).toBody()) }] };
}

/**
 * Registers tools/list and tools/call on the server from the op registry. Dispatch goes through
 * invokeOp, so validation, scopes and errors are exactly those of REST. An unknown tool is a
 * protocol error (InvalidParams), not a tool result.
 */
export function registerOpTools(mcp: McpServer, ops: readonly Op[], context: McpCallContext): void {
  const tools = toolDefinitions(ops);
  const byName = new Map(ops.map((op) => [op.name, op]));
  mcp.server.registerCapabilities({ tools: { listChanged: false } });
  // Least privilege: a token sees only the tools it may call (a connector's token no admin or token tools).
  mcp.server.setRequestHandler(ListToolsRequestSchema, (_request, extra) => {
    const principal = context.principalOf(extra);
    return { tools: tools.filter((t) => !refusal(byName.get(t.name) as Op, principal)) };
  });
  mcp.server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const op = byName.get(request.params.name);
    if (!op) throw new McpError(ErrorCode.InvalidParams, `unknown tool: ${request.params.name}`);
    const ctx = opContextFor(context, extra, request.params._meta?.progressToken);
    try {
      const result = await invokeOp(op, request.params.arguments ?? {}, ctx);
      const image = op.binary?.(result);
      if (image) {
        return {
          structuredContent: image.rest,
          content: [
            { type: 'image', data: image.base64, mimeType: image.mimeType },
            { type: 'text', text: JSON.stringify(image.rest) },
          ],
        };
      }
      return toolResult(result);
    } catch (err) {
      if (!(err instanceof DiscoError)) context.log.error({ err, tool: op.name }, 'tool failed');
      return toolError(err);
    }
  });
}

import type { z } from 'zod';
import { parseInput } from './input.js';
import { type AnyZodObject, authorize, type Op, type OpContext } from './op.js';

/**
 * Runs one op for one caller: scope check, input validation, the handler, then output shaping (the
 * output schema strips anything internal such as absolute paths). REST and MCP both call this.
 */
export async function invokeOp<I extends AnyZodObject, O extends z.ZodType>(
  op: Op<I, O>,
  rawInput: unknown,
  ctx: OpContext,
): Promise<z.output<O>> {
  authorize(op, ctx.principal);
  const input = parseInput(op.input, rawInput ?? {});
  const result = await op.run(input, ctx);
  return op.output.parse(result);
}

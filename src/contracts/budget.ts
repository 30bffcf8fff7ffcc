import { z } from 'zod';

/** The call that returns the rest of a result cut to fit (a cursor a model can follow without guessing). */
export const nextCall = z
  .object({ tool: z.string(), arguments: z.record(z.string(), z.unknown()) })
  .describe('Present when truncated: call this tool with these arguments for the rest.');
export type NextCall = z.input<typeof nextCall>;

/** `offset` of a list input: items to skip (a cursor from `next`). */
export const listOffset = z.number().int().min(0).max(1_000_000).default(0).describe('Entries to skip (from next).');

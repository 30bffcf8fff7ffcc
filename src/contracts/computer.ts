import { z } from 'zod';

const coord = z.number().min(0).max(100_000);
const point = z.object({ x: coord, y: coord });
const button = z.enum(['left', 'right', 'middle']).default('left');

/** The vocabulary computer-use models emit; coordinates are screenshot pixels (mapped back by the scale). */
export const ComputerAction = z.discriminatedUnion('type', [
  z.object({ type: z.literal('click'), x: coord, y: coord, button }),
  z.object({ type: z.literal('double_click'), x: coord, y: coord, button }),
  z.object({ type: z.literal('move'), x: coord, y: coord }),
  z.object({ type: z.literal('drag'), path: z.array(point).min(2).max(100) }),
  z.object({
    type: z.literal('scroll'),
    x: coord.optional(),
    y: coord.optional(),
    dx: z.number().min(-100_000).max(100_000).default(0),
    dy: z.number().min(-100_000).max(100_000).default(0),
  }),
  z.object({ type: z.literal('type'), text: z.string().max(10_000) }),
  z.object({
    type: z.literal('keypress'),
    keys: z.array(z.string().min(1).max(40)).min(1).max(10).describe("One chord, e.g. ['ctrl', 'a'] or ['Enter']."),
  }),
  z.object({ type: z.literal('wait'), ms: z.number().int().min(0).max(10_000).default(1_000) }),
  z.object({ type: z.literal('screenshot') }),
]);
export type ComputerAction = z.output<typeof ComputerAction>;

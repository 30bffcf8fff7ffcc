import { z } from 'zod';
import { openContainer } from './container-scope.js';
import { defineOp } from './op.js';
import { containerRef } from './schemas.js';

const TerminalSchema = z.object({
  id: z.string(),
  containerId: z.string(),
  command: z.array(z.string()),
  cols: z.number().int(),
  rows: z.number().int(),
  running: z.boolean(),
  exitCode: z.number().int().nullable(),
  signal: z.number().int().nullable(),
  attached: z.number().int().describe('Clients attached now.'),
  offset: z.number().int().describe('End of the output so far; reattach with it to miss nothing.'),
  createdAt: z.string().describe('ISO 8601'),
});

export const terminalList = defineOp({
  name: 'terminal_list',
  target: 'container',
  area: 'exec',
  changesWorkspace: false,
  title: 'List terminals',
  description:
    "Use to see your interactive terminals (PTYs); they are used over Socket.IO ('/terminals') or `disco " + 'shell`.',
  method: 'GET',
  path: '/terminal/sessions',
  input: z.object({ container: containerRef.optional() }),
  output: z.object({ terminals: z.array(TerminalSchema) }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'exec',
  run: async ({ container }, ctx) => {
    const containerId = container === undefined ? undefined : (await openContainer(ctx, container)).id;
    return { terminals: ctx.services.terminals.list(ctx.principal.userId, containerId).map((t) => t.info()) };
  },
});

export const terminalClose = defineOp({
  name: 'terminal_close',
  target: 'none',
  area: 'exec',
  changesWorkspace: false,
  title: 'Close terminal',
  description: 'Use to close an interactive terminal, killing what runs in it.',
  method: 'POST',
  path: '/terminal/sessions/:id/close',
  input: z.object({ id: z.string().min(1).max(64) }),
  output: TerminalSchema,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  scope: 'exec',
  run: async ({ id }, { principal, services }) => {
    const t = services.terminals.get(principal.userId, id);
    services.terminals.close(t);
    if (t.running) {
      await Promise.race([
        new Promise<void>((resolve) => t.once('exit', () => resolve())),
        new Promise<void>((resolve) => setTimeout(resolve, 5000).unref()),
      ]);
    }
    return t.info();
  },
});

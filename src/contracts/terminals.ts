import { z } from 'zod';
import { defineContract } from './contract.js';
import { containerRef } from './schemas.js';

export const TerminalSchema = z.object({
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

export const terminalList = defineContract({
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
});

export const terminalClose = defineContract({
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
});

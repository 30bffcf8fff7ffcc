import { z } from 'zod';
import { containerRef } from './schemas.js';
import { DEFAULT_BUDGET, MAX_BUDGET, SESSION_NAME } from './vocabulary.js';

export const sessionName = z
  .string()
  .regex(SESSION_NAME, 'a session name: lowercase letters, digits, - and _')
  .default('default')
  .describe("Browser session of the container (default 'default'); each has its own profile, kept across restarts.");

export const ref = z.string().min(1).max(40).describe('Element ref from the last snapshot, e.g. e12.');

export const budget = z
  .number()
  .int()
  .min(100)
  .max(MAX_BUDGET)
  .default(DEFAULT_BUDGET)
  .describe(`Most tokens of page text to return (≈ 4 characters each; default ${DEFAULT_BUDGET}).`);

/** Every browser op targets one container and one of its sessions. */
export const target = { container: containerRef, session: sessionName };

export const EventSummarySchema = z.object({
  cursor: z.number().int().describe('Pass as `since` to browser_console / browser_network to see only newer events.'),
  errors: z.number().int().describe('Errors since the call began (console, exceptions, failed requests).'),
  recent: z.array(z.object({ kind: z.string(), text: z.string(), url: z.string().optional() })),
});

export const ActionResultSchema = z.object({
  url: z.string(),
  title: z.string(),
  diff: z
    .string()
    .describe('What changed in the page since the last snapshot: `+ line` added, `- line` gone (refs are valid now).'),
  tokens: z.number().int(),
  events: EventSummarySchema,
});

export const ACTION = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true };
export const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

/** What every browser action op is: a POST on the container's browser, audited, under `exec`, answering a diff. */
export const ACTION_OP = {
  target: 'container',
  area: 'computer-use',
  changesWorkspace: false,
  method: 'POST',
  output: ActionResultSchema,
  annotations: ACTION,
  scope: 'exec',
  audit: true,
} as const;

import { z } from 'zod';
import { nextCall } from './budget.js';
import { ANNOTATIONS, defineContract } from './contract.js';
import { announcedPorts } from './ports.js';
import { containerRef, stderrMerged } from './schemas.js';

export const processId = z.string().min(1).max(64).describe('The processId that exec returned.');

export const STATUS = z.enum(['running', 'exited', 'killed', 'timed_out', 'lost']);

export const ProcessSchema = z.object({
  id: z.string(),
  command: z.union([z.array(z.string()), z.string()]),
  shell: z.boolean(),
  cwd: z.string(),
  status: STATUS,
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
});

export const readOnly = ANNOTATIONS.readOnly;

export const terminalHistory = defineContract({
  name: 'terminal_history',
  target: 'container',
  area: 'exec',
  changesWorkspace: false,
  title: 'Command history',
  description: 'Use to see the commands run in a container, newest first, with status and exit code.',
  method: 'GET',
  path: '/terminal/history',
  input: z.object({ container: containerRef, limit: z.number().int().min(1).max(500).default(50) }),
  output: z.object({ processes: z.array(ProcessSchema) }),
  annotations: readOnly,
  scope: 'exec',
});

export const processList = defineContract({
  name: 'process_list',
  target: 'container',
  area: 'exec',
  changesWorkspace: false,
  title: 'List running processes',
  description: 'Use to see which commands still run in a container (background ones, or past their wait).',
  method: 'GET',
  path: '/terminal/processes',
  input: z.object({ container: containerRef }),
  output: z.object({ processes: z.array(ProcessSchema) }),
  annotations: readOnly,
  scope: 'exec',
});

export const processOutput = defineContract({
  name: 'process_output',
  target: 'process',
  area: 'exec',
  changesWorkspace: false,
  title: 'Read process output',
  description:
    'Use to follow a background command: what it wrote since offset (0 = start), both streams in order, ' +
    'and nextOffset for the next call. dropped: the oldest output rotated out. Says whether it still ' +
    'runs.',
  method: 'GET',
  path: '/terminal/processes/:id/output',
  input: z.object({
    id: processId,
    offset: z.number().int().min(0).default(0),
    maxBytes: z
      .number()
      .int()
      .min(1024)
      .max(4 * 1024 * 1024)
      .default(256 * 1024),
  }),
  output: z.object({
    processId: z.string(),
    status: STATUS,
    running: z.boolean(),
    exitCode: z.number().int().nullable(),
    signal: z.string().nullable(),
    records: z.array(z.object({ t: z.number(), stream: z.enum(['stdout', 'stderr']), text: z.string() })),
    stderrMerged,
    nextOffset: z.number().int(),
    dropped: z.boolean(),
    truncated: z.boolean().describe('More output is already there past nextOffset: see next.'),
    ports: announcedPorts,
    next: nextCall.optional(),
  }),
  annotations: readOnly,
  scope: 'exec',
  view: 'command',
});

export const processInput = defineContract({
  name: 'process_input',
  target: 'process',
  area: 'exec',
  changesWorkspace: false,
  title: 'Write to process stdin',
  description:
    'Use to type into a running background process (its stdin): text, or bytes as base64; end: true closes ' +
    'stdin. Returns once the process took the input: send large input in chunks, one call after another.',
  method: 'POST',
  path: '/terminal/processes/:id/input',
  input: z.object({
    id: processId,
    text: z
      .string()
      .max(1024 * 1024)
      .default(''),
    base64: z
      .string()
      .max(1_398_104)
      .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64')
      .optional()
      .describe('Bytes to write, base64-encoded (up to 1 MiB), instead of text: binary input passes unchanged.'),
    end: z.boolean().default(false),
  }),
  output: z.object({ processId: z.string(), bytes: z.number().int() }),
  // What is written may be a shell command line: it can do anything exec can (delete, reach the network).
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  scope: 'exec',
});

export const processKill = defineContract({
  name: 'process_kill',
  target: 'process',
  area: 'exec',
  changesWorkspace: false,
  title: 'Kill process',
  description: 'Use to stop a process and everything it started (signal, default SIGTERM).',
  method: 'POST',
  path: '/terminal/processes/:id/kill',
  input: z.object({ id: processId, signal: z.enum(['SIGTERM', 'SIGKILL', 'SIGINT', 'SIGHUP']).default('SIGTERM') }),
  output: z.object({ processId: z.string(), running: z.boolean(), signalled: z.boolean() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  scope: 'exec',
  audit: true,
});

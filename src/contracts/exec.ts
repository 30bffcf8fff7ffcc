import { z } from 'zod';
import { nextCall } from './budget.js';
import { defineContract } from './contract.js';
import { announcedPorts } from './ports.js';
import { containerRef, relPath, stderrMerged } from './schemas.js';

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Most characters of an argv, all arguments together (the kernel refuses far less than the body limit:
 * 2 MiB of arguments and environment). Every command line is checked against the command policy's
 * patterns before it starts, so its length is what that check costs the event loop.
 */
export const MAX_ARGV_CHARS = 256 * 1024;
const argvLength = (argv: readonly string[]) => argv.reduce((n, a) => n + a.length + 1, 0);

export const exec = defineContract({
  name: 'exec',
  target: 'container',
  area: 'exec',
  changesWorkspace: true,
  cluster: 'process_started',
  title: 'Run command',
  description:
    'Use to run a command in a container and get exit code, stdout and stderr. command: an argv array ' +
    "(['npm', 'test']), or a string with shell: true for pipes and &&. Killed at timeoutMs (default 60 " +
    's). For long work pass background: true (or wait: N ms): it returns running: true and a processId ' +
    'for process_output, process_input and process_kill. Long output comes back as its tail, with next to ' +
    'read all of it.',
  method: 'POST',
  path: '/terminal/execute',
  input: z.object({
    container: containerRef,
    command: z
      .union([
        z
          .array(z.string().max(100_000))
          .min(1)
          .max(10_000)
          .refine((argv) => argvLength(argv) <= MAX_ARGV_CHARS, {
            message: `the arguments together may be at most ${MAX_ARGV_CHARS} characters (write a script instead)`,
          }),
        z.string().min(1).max(100_000),
      ])
      .describe('argv array, or a shell command string with shell: true.'),
    shell: z.boolean().default(false),
    cwd: relPath.default('.'),
    env: z.record(z.string().regex(ENV_NAME, 'an environment variable name'), z.string().max(100_000)).default({}),
    stdin: z
      .string()
      .max(10 * 1024 * 1024)
      .optional()
      .describe("Text written to the command's standard input."),
    timeoutMs: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        'Kill after this many milliseconds (default 60000). A background command has none unless given: it ' +
          'runs until it ends, is killed, or its container stops (idle stop included).',
      ),
    background: z
      .boolean()
      .default(false)
      .describe('Start and return at once (or after `wait`); the command keeps running. Its stdin stays open.'),
    stdinOpen: z
      .boolean()
      .default(false)
      .describe(
        'Keep stdin open for process_input (with wait: 0, to stream large or binary input); the timeout stays the foreground one.',
      ),
    wait: z
      .number()
      .int()
      .min(0)
      .max(120_000)
      .optional()
      .describe('Return after at most this many ms even if the command still runs (it keeps running).'),
  }),
  output: z.object({
    processId: z.string().describe('For process_output, process_input and process_kill.'),
    running: z.boolean().describe('True when the call returned before the command ended.'),
    nextOffset: z.number().int().describe('process_output offset that follows the output returned here.'),
    exitCode: z.number().int().nullable().describe('null while running or when killed by a signal.'),
    signal: z.string().nullable(),
    stdout: z.string(),
    stderr: z.string(),
    stderrMerged,
    durationMs: z.number(),
    timedOut: z.boolean(),
    cancelled: z.boolean(),
    truncated: z.boolean().describe('Output was cut: over the output cap, or to fit the result (see next).'),
    ports: announcedPorts,
    next: nextCall.optional(),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  scope: 'exec',
  view: 'command',
  audit: true,
});

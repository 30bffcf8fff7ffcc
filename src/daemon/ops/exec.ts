import * as contract from '../../contracts/exec.js';
import { ValidationError } from '../errors.js';
import { runCommand } from '../workspace/exec.js';
import { jsonBytes, lastChars, type NextCall, tailWithin } from './budget.js';
import { openContainer } from './container-scope.js';
import { implement } from './op.js';
import { portsOf } from './ports.js';

export const exec = implement(contract.exec, {
  run: async ({ container, ...input }, ctx) => {
    const { config } = ctx.services;
    if (typeof input.command === 'string' && !input.shell) {
      throw new ValidationError('a command string needs shell: true; or pass an argv array to run without a shell');
    }
    if (Array.isArray(input.command) && input.command[0] === '')
      throw new ValidationError('command[0] must not be empty');
    // A background command has no timeout unless asked: a dev server lives until it ends, is killed or its
    // container stops (idle stop included: a background command alone is not use of its container).
    const timeoutMs = input.timeoutMs ?? (input.background ? undefined : config.execTimeoutMs);
    if (timeoutMs !== undefined && timeoutMs > config.execMaxTimeoutMs) {
      throw new ValidationError(`timeoutMs must be at most ${config.execMaxTimeoutMs}`, {
        max: config.execMaxTimeoutMs,
      });
    }
    for (const [k, v] of Object.entries(input.env)) {
      if (v.includes('\0')) throw new ValidationError(`env ${k} contains a NUL byte`);
    }
    const c = await openContainer(ctx, container);
    // A webcontainer container's commands run in its page, not on this host.
    if (c.runtime !== 'webcontainer') ctx.services.sandbox.assertMayRun(ctx.principal, 'a command');
    try {
      ctx.services.policy.check(input.command, input.shell, input.env);
    } catch (err) {
      ctx.services.log.warn(
        // Only the rule and the program: a command line may carry secrets.
        {
          audit: 'command_refused',
          userId: ctx.principal.userId,
          containerId: c.id,
          program: Array.isArray(input.command) ? input.command[0] : input.command.split(/\s+/)[0],
          details: (err as { details?: unknown }).details,
        },
        'command refused by policy',
      );
      throw err;
    }
    const result = await runCommand(
      {
        containerId: c.id,
        ownerId: ctx.principal.userId,
        background: input.background,
        stdinOpen: input.stdinOpen,
        ...(input.wait !== undefined || input.background ? { waitMs: input.wait ?? 0 } : {}),
        root: c.root,
        network: c.network,
        command: input.command,
        shell: input.shell,
        cwd: input.cwd,
        env: input.env,
        ...(input.stdin !== undefined ? { stdin: input.stdin } : {}),
        timeoutMs,
        maxOutputBytes: config.execMaxOutputBytes,
        signal: ctx.signal,
        // Perf: no ticker (a timer per command) when nobody listens, as on REST.
        ...(ctx.wantsProgress
          ? {
              onProgress: ({ elapsedMs, outputBytes }: { elapsedMs: number; outputBytes: number }) =>
                ctx.progress({
                  progress: elapsedMs,
                  ...(timeoutMs !== undefined ? { total: timeoutMs } : {}),
                  message: `running for ${Math.round(elapsedMs / 1000)} s, ${outputBytes} bytes of output`,
                }),
            }
          : {}),
      },
      ctx.services.processManager,
    );
    // The webcontainer runtime gives a process one stream: its stderr is in stdout, said so (not an empty stderr).
    const said = c.runtime === 'webcontainer' ? { ...result, stderrMerged: true as const } : result;
    // A command still running may serve something: announce what listens (with its preview URL).
    const full = said.running ? { ...said, ports: await portsOf(ctx, c.id) } : said;
    return ctx.resultBudget === undefined ? full : tailsWithin(full, ctx.resultBudget);
  },
  summary: (r) => {
    const status = r.running
      ? `still running after ${Math.round(r.durationMs)} ms (processId ${r.processId})`
      : r.timedOut
        ? `timed out after ${Math.round(r.durationMs)} ms`
        : r.exitCode === null
          ? `killed by ${r.signal ?? 'a signal'} after ${Math.round(r.durationMs)} ms`
          : `exit ${r.exitCode} in ${Math.round(r.durationMs)} ms`;
    const out = lastChars(r.stdout, 1200);
    const err = lastChars(r.stderr, 500);
    const label = r.stderrMerged ? 'output (stdout and stderr together: this runtime has one stream)' : 'stdout';
    return [
      status,
      out && `${label}${out.length < r.stdout.length ? ' (tail)' : ''}:\n${out}`,
      err && `stderr${err.length < r.stderr.length ? ' (tail)' : ''}:\n${err}`,
    ]
      .filter(Boolean)
      .join('\n');
  },
});

/**
 * Fits a command's result to a model's budget: the tail of each stream (where errors and results are),
 * and `next`, the process_output call that returns all of it from the start.
 */
function tailsWithin<R extends { processId: string; stdout: string; stderr: string; truncated: boolean }>(
  r: R,
  budget: number,
): R & { next?: NextCall } {
  const fixed = jsonBytes({ ...r, stdout: '', stderr: '' }) + 512;
  const room = Math.max(1024, budget - fixed);
  if (jsonBytes(r.stdout) + jsonBytes(r.stderr) <= room) return r;
  // stderr gets up to a quarter of the room, stdout the rest (and what stderr leaves).
  const errRoom = Math.min(jsonBytes(r.stderr), Math.floor(room / 4));
  const stdout = tailWithin(r.stdout, room - errRoom);
  const stderr = tailWithin(r.stderr, room - jsonBytes(stdout));
  return {
    ...r,
    stdout,
    stderr,
    truncated: true,
    next: { tool: 'process_output', arguments: { id: r.processId, offset: 0 } },
  };
}

import os from 'node:os';
import type { Command } from 'commander';
import type { DiscoClient, OpOutput } from '../client.js';
import { clientFor } from '../context.js';
import { type Output, readAll } from '../output.js';
import { type CommandDeps, outputFor, parseIntOption, withJson } from './shared.js';

export interface ExecCliOptions {
  cwd?: string;
  env?: string[];
  timeout?: number;
  shell?: boolean;
  stdin?: boolean;
  background?: boolean;
  wait?: number;
}

/** The CLI's exit code mirrors the command's, the way a shell reports it (124 for a timeout, 128+n for a signal). */
export function exitCodeOf(r: Pick<OpOutput<'exec'>, 'timedOut' | 'exitCode' | 'signal'>): number {
  if (r.timedOut) return 124;
  if (r.exitCode !== null) return r.exitCode;
  const signo = r.signal ? (os.constants.signals as Record<string, number>)[r.signal] : undefined;
  return signo ? 128 + signo : 1;
}

function parseEnv(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--env expects KEY=VALUE (got '${pair}')`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

export async function execCommand(
  client: DiscoClient,
  out: Output,
  container: string,
  argvIn: readonly string[],
  opts: ExecCliOptions,
): Promise<number> {
  // commander keeps the `--` that separates our options from the command's; it is not part of the command.
  const argv = argvIn[0] === '--' ? argvIn.slice(1) : argvIn;
  if (argv.length === 0) throw new Error('nothing to run: disco exec <container> -- <command> [args…]');
  const stdin = opts.stdin ? (await readAll(out.io.stdin)).toString('utf8') : undefined;
  const r = await client.call('exec', {
    container,
    command: opts.shell ? argv.join(' ') : [...argv],
    shell: opts.shell === true,
    env: parseEnv(opts.env ?? []),
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.timeout !== undefined ? { timeoutMs: opts.timeout } : {}),
    ...(stdin !== undefined ? { stdin } : {}),
    ...(opts.background ? { background: true } : {}),
    ...(opts.wait !== undefined ? { wait: opts.wait } : {}),
  });
  if (out.json) {
    out.result(r, () => '');
  } else if (opts.background) {
    // Only the process id on stdout, so `id=$(disco exec -b …)` works; whatever it printed so far goes to stderr.
    out.io.stdout.write(`${r.processId}\n`);
    out.io.stderr.write(r.stdout);
    out.io.stderr.write(r.stderr);
    out.info(
      r.running
        ? `disco: running in the background; follow it with \`disco logs ${r.processId} -f\`, stop it with \`disco kill ${r.processId}\``
        : `disco: already finished (exit ${exitCodeOf(r)}); see \`disco logs ${r.processId}\``,
    );
  } else {
    out.io.stdout.write(r.stdout);
    out.io.stderr.write(r.stderr);
    if (r.truncated) out.info('disco: output was truncated at the daemon’s output cap');
    if (r.timedOut) out.info(`disco: command timed out after ${Math.round(r.durationMs)} ms and was killed`);
    if (r.running) {
      out.info(
        `disco: still running as ${r.processId}; follow it with \`disco logs ${r.processId} -f\`, stop it with \`disco kill ${r.processId}\``,
      );
    }
  }
  return r.running ? 0 : exitCodeOf(r);
}

export function registerExec(program: Command, deps: CommandDeps): void {
  withJson(
    program
      .command('exec <container> [command...]')
      .description('run a command in a container: disco exec <container> -- <command> [args…]'),
  )
    .option('--cwd <dir>', 'working directory, relative to the workspace')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', (v: string, acc: string[] = []) => [
      ...acc,
      v,
    ])
    .option('--timeout <ms>', 'kill the command after this many milliseconds', parseIntOption('--timeout'))
    .option('--shell', 'run the words as one /bin/sh -c command line (pipes, &&, globs)')
    .option('--stdin', "forward this process's standard input to the command")
    .option('-b, --background', 'start it and return at once; it keeps running (see `disco logs`, `disco kill`)')
    .option('--wait <ms>', 'return after this long even if it still runs', parseIntOption('--wait'))
    .action(async (container: string, command: string[], opts) =>
      deps.setExitCode(await execCommand(clientFor(deps.cliEnv()), outputFor(deps, opts), container, command, opts)),
    );
}

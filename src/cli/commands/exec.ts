import os from 'node:os';
import { type Command, InvalidArgumentError } from 'commander';
import { ApiError, type DiscoClient, type OpInput, type OpOutput } from '../client.js';
import { clientFor } from '../context.js';
import type { Output } from '../output.js';
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

/** An environment variable's name (the exec contract's ENV_NAME; the CLI loads no contract code). */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `-e KEY=VALUE`, or `-e KEY` for this shell's value of KEY (as `docker exec -e KEY` passes it). */
export function parseEnv(pairs: readonly string[], local: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 0 && ENV_NAME.test(pair)) {
      const value = local[pair];
      if (value === undefined)
        throw new InvalidArgumentError(`--env ${pair}: ${pair} is not set here; give ${pair}=VALUE`);
      env[pair] = value;
      continue;
    }
    if (eq <= 0) throw new InvalidArgumentError(`--env expects KEY=VALUE or KEY (got '${pair}')`);
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
  localEnv: NodeJS.ProcessEnv = {},
): Promise<number> {
  // commander keeps the `--` that separates our options from the command's; it is not part of the command.
  const argv = argvIn[0] === '--' ? argvIn.slice(1) : argvIn;
  if (argv.length === 0) throw new InvalidArgumentError('nothing to run: disco exec <container> -- <command> [args…]');
  const spec = {
    container,
    command: opts.shell ? argv.join(' ') : [...argv],
    shell: opts.shell === true,
    env: parseEnv(opts.env ?? [], localEnv),
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.timeout !== undefined ? { timeoutMs: opts.timeout } : {}),
  };
  if (!opts.background) return foregroundExec(client, out, spec, opts.stdin === true, opts.wait);
  const r = await client.call('exec', {
    ...spec,
    background: true,
    ...(opts.wait !== undefined ? { wait: opts.wait } : {}),
  });
  // In the background too, stdin goes as bytes, in chunks, then is closed.
  if (opts.stdin && r.running) await sendInput(client, r.processId, out.io.stdin);
  if (out.json) {
    out.result(r, () => '');
  } else {
    // Only the process id on stdout, so `id=$(disco exec -b …)` works; whatever it printed so far goes to stderr.
    out.io.stdout.write(`${r.processId}\n`);
    out.io.stderr.write(r.stdout);
    out.io.stderr.write(r.stderr);
    out.info(
      r.running
        ? `disco: running in the background; follow it with \`disco logs ${r.processId} -f\`, stop it with \`disco kill ${r.processId}\``
        : `disco: already finished (exit ${exitCodeOf(r)}); see \`disco logs ${r.processId}\``,
    );
  }
  return r.running ? 0 : exitCodeOf(r);
}

/** A command that ends within this long is answered by the one exec call; a longer one's output streams. */
export const FIRST_ANSWER_MS = 1000;

/** The whole result of a command that ended within the exec call, as the CLI prints it. */
function printEnded(out: Output, r: OpOutput<'exec'>): number {
  if (out.json) {
    out.result(r, () => '');
    return exitCodeOf(r);
  }
  out.io.stdout.write(r.stdout);
  out.io.stderr.write(r.stderr);
  if (r.truncated) out.info('disco: output was truncated at the daemon’s output cap');
  if (r.timedOut) out.info(`disco: command timed out after ${Math.round(r.durationMs)} ms and was killed`);
  return exitCodeOf(r);
}

/** Input goes to the daemon in pieces of this size (process_input takes up to 1 MiB). */
const INPUT_CHUNK = 512 * 1024;

/** Splits a byte stream into pieces of at most `size` bytes (the last may be shorter). */
async function* pieces(stream: NodeJS.ReadableStream, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let length = 0;
  for await (const c of stream) {
    let chunk = typeof c === 'string' ? Buffer.from(c) : Buffer.from(c as Uint8Array);
    while (length + chunk.length >= size) {
      const take = size - length;
      yield Buffer.concat([...pending, chunk.subarray(0, take)]);
      chunk = chunk.subarray(take);
      pending = [];
      length = 0;
    }
    if (chunk.length > 0) {
      pending.push(chunk);
      length += chunk.length;
    }
  }
  if (length > 0) yield Buffer.concat(pending);
}

/** Streams `stdin` to a running process as bytes, in chunks, and closes its stdin. */
async function sendInput(client: DiscoClient, id: string, stdin: NodeJS.ReadableStream): Promise<void> {
  try {
    for await (const piece of pieces(stdin, INPUT_CHUNK)) {
      await client.call('process_input', { id, base64: piece.toString('base64') });
    }
    await client.call('process_input', { id, end: true });
  } catch (err) {
    // The command stopped reading (it ended, as `head -c` does): what it printed still counts.
    if (!(err instanceof ApiError && err.code === 'conflict')) throw err;
  }
}

type OutputPage = OpOutput<'process_output'>;

/**
 * Prints a process's output from `offset` as it comes (stdout and stderr to ours, or collected with
 * `collect`), polling until it ends or, when `follow` is false, after one page. Returns the last page.
 */
export async function followOutput(
  client: DiscoClient,
  out: Output,
  id: string,
  offset: number,
  follow: boolean,
  collect?: (stream: 'stdout' | 'stderr', text: string) => void,
  pollMs = 250,
): Promise<OutputPage> {
  let at = offset;
  for (;;) {
    const page = await client.call('process_output', { id, offset: at });
    for (const r of page.records) {
      if (collect) collect(r.stream, r.text);
      else (r.stream === 'stdout' ? out.io.stdout : out.io.stderr).write(r.text);
    }
    at = page.nextOffset;
    if (!follow || !page.running) return page;
    if (page.records.length === 0) await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * A foreground command, as `docker exec` runs one: its output printed as it comes, Ctrl-C sent to it.
 * One exec call answers a command that ends within FIRST_ANSWER_MS (or `wait`); a longer one is followed
 * with process_output. With `stdin` (`--stdin`) it starts with its stdin open, ours is streamed to it in
 * chunks as bytes (no limit on the total, nothing decoded) and closed.
 */
async function foregroundExec(
  client: DiscoClient,
  out: Output,
  spec: Omit<OpInput<'exec'>, 'stdin' | 'background' | 'wait' | 'stdinOpen'>,
  stdin: boolean,
  wait: number | undefined,
): Promise<number> {
  const deadline = wait === undefined ? undefined : Date.now() + wait;
  const started = await client.call(
    'exec',
    stdin
      ? { ...spec, stdinOpen: true, wait: 0 }
      : { ...spec, wait: Math.min(wait ?? FIRST_ANSWER_MS, FIRST_ANSWER_MS) },
  );
  if (!started.running && !stdin) return printEnded(out, started);
  const id = started.processId;
  // Ctrl-C (or a TERM) here goes to the command, as with `docker exec` or ssh: it is signalled, and we exit
  // as a signalled command would (130, 143) instead of leaving it running until its timeout. Listening
  // before printing anything: whoever sees the first output may send the signal at once.
  const forward = (signal: 'SIGINT' | 'SIGTERM') => {
    void client
      .call('process_kill', { id, signal })
      .catch(() => undefined)
      .finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  const onInt = () => forward('SIGINT');
  const onTerm = () => forward('SIGTERM');
  if (started.running) {
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
  }
  const collected = { stdout: [started.stdout], stderr: [started.stderr] };
  const collect = out.json ? (stream: 'stdout' | 'stderr', text: string) => collected[stream].push(text) : undefined;
  if (!collect) {
    out.io.stdout.write(started.stdout);
    out.io.stderr.write(started.stderr);
  }
  let page: OutputPage | undefined;
  try {
    if (started.running && stdin) await sendInput(client, id, out.io.stdin);
    let offset = started.nextOffset;
    do {
      page = await followOutput(client, out, id, offset, false, collect);
      offset = page.nextOffset;
      if (page.running && page.records.length === 0) await new Promise((r) => setTimeout(r, 100));
    } while (page.running && (deadline === undefined || Date.now() < deadline));
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
  const end = { timedOut: page.status === 'timed_out', exitCode: page.exitCode, signal: page.signal };
  if (out.json) {
    out.result(
      {
        processId: id,
        running: page.running,
        nextOffset: page.nextOffset,
        ...end,
        stdout: collected.stdout.join(''),
        stderr: collected.stderr.join(''),
      },
      () => '',
    );
  } else if (page.running) {
    out.info(
      `disco: still running as ${id}; follow it with \`disco logs ${id} -f\`, stop it with \`disco kill ${id}\``,
    );
  } else if (end.timedOut) out.info('disco: command timed out and was killed');
  return page.running ? 0 : exitCodeOf(end);
}

export function registerExec(program: Command, deps: CommandDeps): void {
  withJson(
    program
      .command('exec <container> [command...]')
      .description('run a command in a container: disco exec <container> -- <command> [args…]'),
  )
    .option('--cwd <dir>', 'working directory, relative to the workspace')
    .option(
      '-e, --env <KEY=VALUE>',
      'set an environment variable (repeatable; KEY alone passes its value here)',
      (v: string, acc: string[] = []) => [...acc, v],
    )
    .option('--timeout <ms>', 'kill the command after this many milliseconds', parseIntOption('--timeout'))
    .option('--shell', 'run the words as one /bin/sh -c command line (pipes, &&, globs)')
    .option('--stdin', "forward this process's standard input to the command")
    .option('-b, --background', 'start it and return at once; it keeps running (see `disco logs`, `disco kill`)')
    .option('--wait <ms>', 'return after this long even if it still runs', parseIntOption('--wait'))
    .action(async (container: string, command: string[], opts) =>
      deps.setExitCode(
        await execCommand(clientFor(deps.cliEnv()), outputFor(deps, opts), container, command, opts, deps.processEnv),
      ),
    );
}

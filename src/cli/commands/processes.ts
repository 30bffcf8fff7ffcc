import type { Command } from 'commander';
import type { DiscoClient } from '../client.js';
import { clientFor } from '../context.js';
import { ago, type Output, readAll, table } from '../output.js';
import { opCommand, registerTable } from '../table.js';
import { exitCodeOf, followOutput } from './exec.js';
import { type CommandDeps, outputFor, parseIntOption, withJson } from './shared.js';

const commandText = (c: string[] | string) => (Array.isArray(c) ? c.join(' ') : c);

function processTable(
  processes: { id: string; command: string[] | string; status: string; exitCode: number | null; startedAt: string }[],
) {
  return table(
    processes.map((p) => ({
      ...p,
      command: commandText(p.command),
      exit: p.exitCode ?? '',
      started: ago(p.startedAt),
    })),
    ['id', 'status', 'exit', 'started', 'command'],
  );
}

/** Prints a process's output; with follow, polls until it ends and exits with its exit code. */
export async function logs(client: DiscoClient, out: Output, id: string, follow: boolean): Promise<number> {
  const records: { stream: string; text: string }[] = [];
  const collect = out.json ? (stream: string, text: string) => records.push({ stream, text }) : undefined;
  const page = await followOutput(client, out, id, 0, follow, collect);
  const { running, status, exitCode, signal } = page;
  out.result({ id, records, running, status, exitCode, signal }, () => '');
  return running ? 0 : exitCodeOf({ timedOut: status === 'timed_out', exitCode, signal });
}

/** `disco ps|history|kill`: one op each. */
export const PROCESS_COMMANDS = [
  opCommand('process_list', {
    name: 'ps',
    description: 'list the commands still running in a container',
    args: [{ name: 'container', field: 'container' }],
    human: (r, _opts, args) =>
      r.processes.length === 0
        ? `no running processes (finished ones: disco history ${args.container})`
        : processTable(r.processes),
  }),
  opCommand('terminal_history', {
    name: 'history',
    description: 'list the commands run in a container',
    args: [{ name: 'container', field: 'container' }],
    flags: [
      {
        flags: '--limit <n>',
        description: 'how many (newest first)',
        field: 'limit',
        parse: parseIntOption('--limit'),
      },
    ],
    human: (r) => (r.processes.length === 0 ? 'no commands yet' : processTable(r.processes)),
  }),
  opCommand('process_kill', {
    name: 'kill',
    description: 'signal a process and everything it started',
    args: [{ name: 'processId', field: 'id' }],
    flags: [{ flags: '-s, --signal <signal>', description: 'the signal to send', field: 'signal' }],
    human: (r, opts, { processId }) =>
      r.signalled
        ? `sent ${opts.signal} to ${processId}${r.running ? ' (still running)' : ''}`
        : `${processId} was not running`,
  }),
] as const;

export function registerProcesses(program: Command, deps: CommandDeps): void {
  const client = () => clientFor(deps.cliEnv());
  registerTable(program, deps, [], PROCESS_COMMANDS.slice(0, 2));
  withJson(program.command('logs <processId>'))
    .description("print a process's output (stdout and stderr); -f follows it until it ends")
    .option('-f, --follow', 'keep printing until the process ends, then exit with its code')
    .action(async (id: string, opts) =>
      deps.setExitCode(await logs(client(), outputFor(deps, opts), id, opts.follow === true)),
    );
  withJson(
    program
      .command('input <processId> [text...]')
      .description("write to a background process's stdin (the words, or this process's stdin when none)"),
  )
    .option('-n, --no-newline', 'do not add a newline after the words')
    .option('--eof', 'close its stdin afterwards')
    .action(async (id: string, words: string[], opts) => {
      // Words are text; standard input passes as bytes, unchanged.
      const input =
        words.length > 0
          ? { text: words.join(' ') + (opts.newline === false ? '' : '\n') }
          : { base64: (await readAll(deps.io.stdin)).toString('base64') };
      const r = await client().call('process_input', { id, ...input, end: opts.eof === true });
      outputFor(deps, opts).result(
        r,
        () => `wrote ${r.bytes} bytes to ${r.processId}${opts.eof ? ' and closed its stdin' : ''}`,
      );
    });
  registerTable(program, deps, [], PROCESS_COMMANDS.slice(2));
}

import type { Command } from 'commander';
import { ApiError } from '../client.js';
import type { CliEnv } from '../context.js';
import { clientFor } from '../context.js';
import type { Io } from '../output.js';
import { ago, table } from '../output.js';
import { opCommand, registerTable } from '../table.js';
import type { TerminalError } from '../terminal-client.js';
import { type CommandDeps, outputFor, withJson } from './shared.js';

/** Ctrl-] detaches (as in telnet): the terminal keeps running; `disco shell --attach <id>` comes back. */
const DETACH = '\x1d';

interface ShellOptions {
  attach?: string;
  cwd?: string;
}

type TtyIn = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
type TtyOut = Io['stdout'] & { columns?: number; rows?: number; isTTY?: boolean };

/**
 * Attaches this terminal to a PTY in a container: raw mode, resize on SIGWINCH, output replayed from
 * the last offset after a dropped connection. Resolves to the remote exit code (0 when detached).
 */
export async function shell(
  env: CliEnv,
  io: Io,
  container: string | undefined,
  command: string[],
  opts: ShellOptions,
): Promise<number> {
  const stdin = io.stdin as TtyIn;
  const stdout = io.stdout as TtyOut;
  const size = () => ({ cols: stdout.columns || 80, rows: stdout.rows || 24 });
  const { TerminalClient } = await import('../terminal-client.js');
  const client = await TerminalClient.connect(env.baseUrl, await env.tokens.get()).catch((err: TerminalError) => {
    throw new ApiError(err.code, `cannot open a terminal: ${err.message}`, 0);
  });
  const raw = stdin.isTTY === true && typeof stdin.setRawMode === 'function';
  // Output can arrive in the same packet as the open/attach answer, before the live handler below is
  // in place: keep it, and play it through that handler (offsets drop what the answer already held).
  const early: Array<[string, string, number]> = [];
  const keepEarly = (tid: string, data: string, end: number) => early.push([tid, data, end]);
  client.on('output', keepEarly);
  try {
    const first = await (opts.attach
      ? client.attach(opts.attach, 0)
      : client.open({
          container: container ?? '',
          ...size(),
          ...(command.length > 0 ? { command } : {}),
          ...(opts.cwd ? { cwd: opts.cwd } : {}),
        })
    ).catch((err: TerminalError) => {
      throw new ApiError(err.code, err.message, 0);
    });
    const id = first.terminal.id;
    let offset = first.offset;
    // The banner first: written after output that came with the answer, its `\r` would hide the prompt.
    if (raw) io.stderr.write(`\r[disco: ${id}; Ctrl-] detaches]\r\n`);
    stdout.write(first.data);
    if (opts.attach) await client.resize(id, size().cols, size().rows).catch(() => {});

    return await new Promise<number>((resolve) => {
      const finish = (code: number) => {
        process.off('SIGWINCH', onResize);
        stdin.off('data', onInput);
        stdin.off('end', onEnd);
        if (raw) stdin.setRawMode?.(false);
        stdin.pause();
        resolve(code);
      };
      const onOutput = (tid: string, data: string, end: number) => {
        if (tid !== id) return;
        const start = end - data.length;
        if (end <= offset) return; // already shown (a replay overlapping live output)
        stdout.write(start < offset ? data.slice(offset - start) : data);
        offset = end;
      };
      const onInput = (chunk: string | Buffer) => {
        const text = chunk.toString();
        const cut = text.indexOf(DETACH);
        if (raw && cut >= 0) {
          if (cut > 0) void client.input(id, text.slice(0, cut)).catch(() => {});
          void client.detach(id).finally(() => {
            io.stderr.write(`\r\n[disco: detached; reattach with \`disco shell --attach ${id}\`]\r\n`);
            finish(0);
          });
          return;
        }
        client.input(id, text).catch((err: TerminalError) => {
          if (err.code === 'command_refused') io.stderr.write(`\r\n[disco: ${err.message}]\r\n`);
        });
      };
      const onEnd = () => void client.input(id, '\x04').catch(() => {}); // piped input ran out: EOF
      const onResize = () => void client.resize(id, size().cols, size().rows).catch(() => {});
      client.off('output', keepEarly);
      for (const [tid, data, end] of early.splice(0)) onOutput(tid, data, end);
      client.on('output', onOutput);
      client.on('exit', (tid, code) => tid === id && finish(code ?? 1));
      client.on('reconnect', () => {
        client
          .attach(id, offset)
          .then((r) => {
            onOutput(id, r.data, r.offset);
            if (!r.terminal.running) finish(r.terminal.exitCode ?? 1);
          })
          .catch(() => finish(1));
      });
      if (first.terminal.running === false) return finish(first.terminal.exitCode ?? 1);
      if (raw) stdin.setRawMode?.(true);
      stdin.on('data', onInput);
      stdin.on('end', onEnd);
      stdin.resume();
      process.on('SIGWINCH', onResize);
    });
  } finally {
    client.disconnect();
  }
}

export function registerShell(program: Command, deps: CommandDeps): void {
  program
    .command('shell [container] [command...]')
    .description('open an interactive terminal in a container (Ctrl-] detaches; --attach comes back)')
    .option('--attach <terminal>', 'reattach to a running terminal by id (its scrollback is replayed)')
    .option('--cwd <dir>', 'working directory, relative to the workspace')
    .action(async (container: string | undefined, command: string[], opts: ShellOptions) => {
      if (!container && !opts.attach)
        throw new ApiError('validation_failed', 'give a container, or --attach <id>', 400);
      deps.setExitCode(await shell(deps.cliEnv(), deps.io, container, command, opts));
    });
}

/** `disco terminals close`: one op. */
export const TERMINAL_COMMANDS = [
  opCommand('terminal_close', {
    group: 'terminals',
    name: 'close',
    description: 'close a terminal, killing what runs in it',
    args: [{ name: 'terminal', field: 'id' }],
    human: (r) => `closed ${r.id}`,
  }),
] as const;

export function registerTerminals(program: Command, deps: CommandDeps): void {
  const group = program.command('terminals').description('list and close interactive terminals');
  const client = () => clientFor(deps.cliEnv());
  withJson(group.command('ls [container]').alias('list').description('your terminals (of one container)')).action(
    async (container: string | undefined, opts) => {
      const r = await client().call('terminal_list', container ? { container } : {});
      // Names, not ids: one more request, made only for the human table.
      const names = async () =>
        new Map((await client().call('container_list', {})).containers.map((c) => [c.id, c.name] as const));
      const byId = !opts.json && r.terminals.length > 0 ? await names() : new Map<string, string>();
      outputFor(deps, opts).result(r, () =>
        r.terminals.length === 0
          ? 'no terminals; open one with `disco shell <container>`'
          : table(
              r.terminals.map((t) => ({
                ...t,
                command: t.command.join(' '),
                state: t.running ? (t.attached > 0 ? 'attached' : 'detached') : `exited ${t.exitCode ?? ''}`,
                container: byId.get(t.containerId) ?? t.containerId,
                created: ago(t.createdAt),
              })),
              ['id', 'container', 'state', 'created', 'command'],
            ),
      );
    },
  );
  registerTable(program, deps, [], TERMINAL_COMMANDS);
}

import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { discoVersion } from '../shared/version.js';
import { ApiError, DaemonUnreachableError } from './client.js';
import { registerAuth } from './commands/auth.js';
import { registerBrowser } from './commands/browser.js';
import { registerCall } from './commands/call.js';
import { registerContainers } from './commands/containers.js';
import { registerDoctor } from './commands/doctor.js';
import { registerExec } from './commands/exec.js';
import { registerFiles } from './commands/files.js';
import { registerGit } from './commands/git.js';
import { registerMcp } from './commands/mcp.js';
import { registerPreview } from './commands/preview.js';
import { registerProcesses } from './commands/processes.js';
import { registerRag } from './commands/rag.js';
import { registerServe } from './commands/serve.js';
import type { CommandDeps } from './commands/shared.js';
import { registerShell, registerTerminals } from './commands/shell.js';
import { registerToken } from './commands/token.js';
import { registerWorker } from './commands/worker.js';
import { resolveCliEnv } from './context.js';
import { describeError, jsonError, parseIntent } from './errors.js';
import type { Io } from './output.js';

/** Exit codes for errors the CLI itself reports. */
const EXIT = { error: 1, usage: 2, unreachable: 3, notExecutable: 126, commandNotFound: 127 } as const;

export function buildProgram(deps: CommandDeps): Command {
  const program = new Command('disco')
    .description('Disco: containers, files and commands for AI assistants and developers')
    .version(discoVersion(), '-v, --version')
    .showHelpAfterError('(run `disco --help` for usage)')
    .configureOutput({
      writeOut: (s) => deps.io.stdout.write(s),
      writeErr: (s) => deps.io.stderr.write(s),
    })
    .enablePositionalOptions()
    .exitOverride();
  registerServe(program, deps);
  registerToken(program, deps);
  registerAuth(program, deps);
  registerContainers(program, deps);
  registerFiles(program, deps);
  registerExec(program, deps);
  registerProcesses(program, deps);
  registerPreview(program, deps);
  registerBrowser(program, deps);
  registerShell(program, deps);
  registerTerminals(program, deps);
  registerGit(program, deps);
  registerRag(program, deps);
  registerCall(program, deps);
  registerMcp(program, deps);
  registerWorker(program, deps);
  registerDoctor(program, deps);
  for (const c of program.commands) {
    c.exitOverride();
    for (const sub of c.commands) sub.exitOverride();
    if (c.commands.length > 0) c.on('command:*', (operands: string[]) => misplacedSubcommand(c, operands));
  }
  return program;
}

/**
 * `disco git web status`: a group's subcommand comes before its container (`disco git status web`, as in
 * `gh pr view`); when the second word is a subcommand, say so instead of "unknown command 'web'".
 */
function misplacedSubcommand(group: Command, operands: string[]): never {
  const [first, second, ...rest] = operands;
  const sub = group.commands.find((s) => s.name() === second || s.aliases().includes(second ?? ''));
  if (sub && sub.registeredArguments.length > 0) {
    const fixed = ['disco', group.name(), second, first, ...rest].join(' ');
    group.error(`error: the subcommand comes before the container: ${fixed}`, { code: 'commander.unknownCommand' });
  }
  // Commander's own message, with its "did you mean" suggestion (public, but missing from its typings).
  return (group as unknown as { unknownCommand(): never }).unknownCommand();
}

/** Runs the CLI and resolves to its exit code; never calls process.exit, so it can be tested in-process. */
export async function run(
  argv: readonly string[],
  io: Io = {
    stdout: process.stdout,
    stderr: process.stderr,
    // Perf: process.stdin is built on first access; most commands never read it.
    get stdin() {
      return process.stdin;
    },
  },
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let exitCode = 0;
  let cached: ReturnType<typeof resolveCliEnv> | undefined;
  const deps: CommandDeps = {
    io,
    processEnv: env,
    cliEnv: () => {
      cached ??= resolveCliEnv(env);
      return cached;
    },
    setExitCode: (code) => {
      exitCode = code;
    },
  };
  try {
    await buildProgram(deps).parseAsync([...argv]);
    return exitCode;
  } catch (err) {
    const { command, json } = parseIntent(argv);
    // Commander has printed its own errors; an InvalidArgumentError thrown by an action (a bad argument
    // found after parsing) has not, and said nothing before exiting 2.
    if (err instanceof CommanderError && !(err instanceof InvalidArgumentError))
      return err.exitCode === 0 ? 0 : EXIT.usage;
    io.stderr.write(json ? `${jsonError(err, command)}\n` : `disco: ${describeError(err, command)}\n`);
    if (err instanceof InvalidArgumentError) return EXIT.usage;
    if (err instanceof DaemonUnreachableError) return EXIT.unreachable;
    if (err instanceof ApiError && err.code === 'command_not_found') return EXIT.commandNotFound;
    // A program that is there but may not run (no x bit): 126, as a shell and docker exec say it.
    if (err instanceof ApiError && err.code === 'not_executable') return EXIT.notExecutable;
    // By name: the CLI does not load daemon code (where ConfigError lives) unless a command needs it.
    if (err instanceof Error && err.name === 'ConfigError') return EXIT.usage;
    return EXIT.error;
  }
}

import type { Command } from 'commander';
import type { CliEnv } from '../context.js';
import { type Io, Output } from '../output.js';

/** What every command gets: its streams, the resolved environment, and a way to set the exit code. */
export interface CommandDeps {
  io: Io;
  cliEnv: () => CliEnv;
  processEnv: NodeJS.ProcessEnv;
  setExitCode: (code: number) => void;
}

export const withJson = (cmd: Command) => cmd.option('--json', 'print the result as JSON');

export const outputFor = (deps: CommandDeps, opts: { json?: boolean }) => new Output(deps.io, opts.json === true);

export function parseIntOption(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n)) throw new Error(`${name} must be an integer (got '${value}')`);
    return n;
  };
}

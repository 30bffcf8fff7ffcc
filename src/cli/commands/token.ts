import type { Command } from 'commander';
import { type CommandDeps, outputFor, withJson } from './shared.js';

export function registerToken(program: Command, deps: CommandDeps): void {
  withJson(
    program.command('token').description("print the local daemon's admin token (for curl, scripts, MCP clients)"),
  ).action((opts) => {
    const env = deps.cliEnv();
    if (!env.token) {
      throw new Error(`no admin token in ${env.home}; start the daemon once with \`disco serve\`, or set DISCO_TOKEN`);
    }
    outputFor(deps, opts).result({ token: env.token, url: env.baseUrl }, () => env.token as string);
  });
}

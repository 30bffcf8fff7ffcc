import type { Command } from 'commander';
import type { ConfigFlags } from '../../daemon/config.js';
import type { CommandDeps } from './shared.js';

export function registerMcp(program: Command, deps: CommandDeps): void {
  program
    .command('mcp')
    .description('serve the MCP tools over stdio (for Claude Desktop, editors, the MCP Inspector)')
    .option('--home <dir>', 'state directory (default ~/.disco)')
    .action(async (opts: Pick<ConfigFlags, 'home'>) => {
      const { loadConfig } = await import('../../daemon/config.js'); // loaded on use
      const config = loadConfig({ DISCO_LOG_LEVEL: 'warn', ...deps.processEnv }, opts);
      // A client may start this with a bare environment: say where the state goes (stdout is the protocol's).
      deps.io.stderr.write(
        `disco mcp: state in ${config.home} (containers, database, tokens)${
          opts.home || deps.processEnv.DISCO_HOME ? '' : '; pass --home <dir> or set DISCO_HOME for another place'
        }\n`,
      );
      const { serveStdio } = await import('../../mcp/stdio.js'); // loaded on use
      await serveStdio(config, { stdin: deps.io.stdin, stdout: deps.io.stdout });
      deps.setExitCode(0);
    });
}

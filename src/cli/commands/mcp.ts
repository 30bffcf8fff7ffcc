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
      const say = (line: string) => deps.io.stderr.write(`${line}\n`);
      // A `disco serve` on this home owns its containers' sandboxes: relay to it rather than open a second
      // core beside it (src/mcp/relay.ts, which loads no daemon code).
      const { findDaemon, relayToDaemon } = await import('../../mcp/relay.js'); // loaded on use
      let daemon: Awaited<ReturnType<typeof findDaemon>>;
      try {
        daemon = await findDaemon(config.home);
      } catch (err) {
        say(`disco mcp: ${(err as Error).message}`);
        deps.setExitCode(1);
        return;
      }
      if (daemon) {
        say(`disco mcp: relaying to the disco daemon at ${daemon.url} (pid ${daemon.pid}) on ${config.home}`);
        deps.setExitCode(await relayToDaemon(daemon, { stdin: deps.io.stdin, stdout: deps.io.stdout, say }));
        return;
      }
      // A client may start this with a bare environment: say where the state goes (stdout is the protocol's).
      say(
        `disco mcp: state in ${config.home} (containers, database, tokens), served in-process: no disco serve runs on it${
          opts.home || deps.processEnv.DISCO_HOME ? '' : '; pass --home <dir> or set DISCO_HOME for another place'
        }`,
      );
      const { serveStdio } = await import('../../mcp/stdio.js'); // loaded on use
      await serveStdio(config, { stdin: deps.io.stdin, stdout: deps.io.stdout });
      deps.setExitCode(0);
    });
}

import type { Command } from 'commander';
import { type ConfigFlags, loadConfig } from '../../daemon/config.js';
import { startDaemon } from '../../daemon/main.js';
import type { CommandDeps } from './shared.js';

/** Starts the daemon in the foreground and resolves once it has shut down after SIGINT/SIGTERM. */
export async function serve(deps: CommandDeps, flags: ConfigFlags): Promise<void> {
  const config = loadConfig(deps.processEnv, flags);
  const daemon = await startDaemon(config);
  deps.io.stderr.write(
    `Disco listening on ${daemon.url} (home ${config.home}). API docs: ${daemon.url}/docs · token: \`disco token\`\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      daemon.log.info({ signal }, 'signal received');
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      daemon.close().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export function registerServe(program: Command, deps: CommandDeps): void {
  program
    .command('serve')
    .description('run the Disco daemon in the foreground')
    .option('--host <host>', 'address to bind (default 127.0.0.1; 0.0.0.0 when PORT is set)')
    .option('--port <port>', 'port to listen on (0 picks a free one)')
    .option('--home <dir>', 'state directory (default ~/.disco)')
    .action(async (opts: ConfigFlags) => {
      await serve(deps, opts);
      deps.setExitCode(0);
    });
}

import type { Command } from 'commander';
import type { ConfigFlags } from '../../daemon/config.js';
import type { CommandDeps } from './shared.js';

/** Starts the daemon in the foreground and resolves once it has shut down after SIGINT/SIGTERM. */
export async function serve(deps: CommandDeps, flags: ConfigFlags): Promise<void> {
  // Perf: daemon code is loaded on use, so commands that only talk to a daemon start fast.
  const { loadConfig } = await import('../../daemon/config.js');
  const config = loadConfig(deps.processEnv, flags);
  // Listen for signals before starting, so a SIGTERM that arrives during start-up still stops cleanly.
  let received: NodeJS.Signals | undefined;
  let onSignal: (signal: NodeJS.Signals) => void = (signal) => {
    received = signal;
  };
  const handler = (signal: NodeJS.Signals) => onSignal(signal);
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  try {
    const { startDaemon } = await import('../../daemon/main.js');
    const daemon = await startDaemon(config);
    deps.io.stderr.write(
      `Disco listening on ${daemon.url} (home ${config.home}). API docs: ${daemon.url}/docs · token: \`disco token\`\n`,
    );
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      if (received) resolve(received);
      onSignal = resolve;
    });
    daemon.log.info({ signal }, 'signal received');
    await daemon.close();
  } finally {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  }
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

import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type { ConfigFlags } from '../../daemon/config.js';
import { DEFAULT_PORT } from '../../shared/defaults.js';
import { prettyDestination } from '../log-pretty.js';
import type { CommandDeps } from './shared.js';

export interface ServeFlags extends ConfigFlags {
  /** Only warnings and errors in the log. */
  quiet?: boolean;
}

/** How to reach this daemon: its URL, and the variables another shell needs when they are not the defaults. */
export function reachLines(url: string, home: string, processEnv: NodeJS.ProcessEnv): string[] {
  const defaultUrl = `http://127.0.0.1:${DEFAULT_PORT}`;
  const defaultHome = path.join(os.homedir(), '.disco');
  const exports = [
    ...(url !== defaultUrl ? [`DISCO_URL=${url}`] : []),
    ...(path.resolve(home) !== defaultHome ? [`DISCO_HOME=${home}`] : []),
  ];
  return [
    `Disco listening on ${url} (home ${home}). API docs: ${url}/docs · token: \`disco token\``,
    ...(exports.length > 0 && !(processEnv.DISCO_URL === url && processEnv.DISCO_HOME === home)
      ? [`To use it from another shell: export ${exports.join(' ')}`]
      : []),
  ];
}

/** Starts the daemon in the foreground and resolves once it has shut down after SIGINT/SIGTERM. */
export async function serve(deps: CommandDeps, { quiet, ...flags }: ServeFlags): Promise<void> {
  // Perf: daemon code is loaded on use, so commands that only talk to a daemon start fast.
  const { loadConfig } = await import('../../daemon/config.js');
  const loaded = loadConfig(deps.processEnv, flags);
  const verbose = ['trace', 'debug', 'info'].includes(loaded.logLevel);
  const config = quiet && verbose ? { ...loaded, logLevel: 'warn' as const } : loaded;
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
    // Logs go to stdout: one human line per event on a terminal, JSON lines otherwise (for collectors).
    const stdout = deps.io.stdout as NodeJS.WriteStream;
    const daemon = await startDaemon(config, stdout.isTTY ? { logDestination: prettyDestination(stdout) } : {});
    deps.io.stderr.write(`${reachLines(daemon.url, config.home, deps.processEnv).join('\n')}\n`);
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
    .option('-q, --quiet', 'log only warnings and errors')
    .action(async (opts: ServeFlags) => {
      await serve(deps, opts);
      deps.setExitCode(0);
    });
}

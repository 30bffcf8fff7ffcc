import type { Command } from 'commander';
import type { ConfigFlags } from '../../daemon/config.js';
import { type CommandDeps, outputFor, withJson } from './shared.js';

/** Runs the background jobs: once (`--once`, prints what each did), or until SIGINT/SIGTERM. */
export async function worker(
  deps: CommandDeps,
  flags: ConfigFlags & { once?: boolean; json?: boolean },
): Promise<number> {
  // Perf: daemon code is loaded on use, so other commands do not pay for it at start-up.
  const { loadConfig } = await import('../../daemon/config.js');
  const config = loadConfig(deps.processEnv, { ...(flags.home ? { home: flags.home } : {}) });
  // With --once stdout carries the report, so the logs go to stderr.
  const { startWorker } = await import('../../daemon/worker.js');
  const { pino } = await import('pino');
  const w = await startWorker(config, flags.once ? { logDestination: pino.destination({ fd: 2, sync: true }) } : {});
  try {
    if (flags.once) {
      const { leaseHeld, reports } = await w.runOnce();
      outputFor(deps, flags).result({ holder: w.runner.holder, leaseHeld, reports }, () =>
        leaseHeld
          ? reports
              .map(
                (r) => `${r.job}: ${r.ok ? 'ok' : `failed: ${r.error}`} (${r.ms} ms) ${JSON.stringify(r.result ?? {})}`,
              )
              .join('\n')
          : 'another worker holds the job lease; nothing run',
      );
      return leaseHeld ? 0 : 1;
    }
    let onSignal: () => void = () => {};
    const signalled = new Promise<void>((resolve) => {
      onSignal = resolve;
    });
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      w.runner.start();
      // Keeps the process alive: the runner's timer is unref'd so a daemon can exit without waiting for it.
      const keepAlive = setInterval(() => {}, 1 << 30);
      await signalled;
      clearInterval(keepAlive);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    return 0;
  } finally {
    await w.close();
  }
}

export function registerWorker(program: Command, deps: CommandDeps): void {
  withJson(
    program
      .command('worker')
      .description('run the background jobs (idle containers, SQLite upkeep…) beside `disco serve`')
      .option('--home <dir>', 'state directory (default ~/.disco)')
      .option('--once', 'run every job once now, print what each did, and exit'),
  ).action(async (opts: ConfigFlags & { once?: boolean; json?: boolean }) => {
    deps.setExitCode(await worker(deps, opts));
  });
}

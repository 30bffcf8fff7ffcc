import type { Command } from 'commander';
import type { Check } from '../../daemon/doctor/checks.js';
import { table } from '../output.js';
import { type CommandDeps, outputFor, withJson } from './shared.js';

/**
 * keytar loading is not enough: `disco login` needs a secret service that answers (a D-Bus session on
 * Linux). Ask it the way login does, so doctor never says "fine" when login falls back to the file.
 */
async function withKeychainProbe(checks: Check[], env: NodeJS.ProcessEnv): Promise<Check[]> {
  const i = checks.findIndex((c) => c.name === 'keychain');
  if (i < 0 || checks[i]?.status !== 'ok') return checks;
  const { keychainProblem } = await import('../login-store.js');
  const problem = await keychainProblem(env);
  if (!problem) return checks;
  const check: Check = {
    name: 'keychain',
    status: 'warn',
    detail: `keytar loads, but \`disco login\` cannot use the keychain (${problem}): it keeps tokens in a 0600 file`,
    fix:
      problem === 'DISCO_KEYCHAIN=off'
        ? 'unset DISCO_KEYCHAIN to use the keychain'
        : 'run inside a desktop or D-Bus session with a secret service (gnome-keyring-daemon, KWallet); the file is fine on a headless machine',
  };
  return checks.map((c, j) => (j === i ? check : c));
}

/** Checks the environment; exit 1 when a check fails (warnings do not). */
export async function doctor(deps: CommandDeps, opts: { json?: boolean; offline?: boolean }): Promise<number> {
  let checks: Check[];
  // Perf: daemon code is loaded on use, so other commands do not pay for it at start-up.
  const { ConfigError, loadConfig } = await import('../../daemon/config.js');
  try {
    const config = loadConfig(deps.processEnv);
    const { runDoctor } = await import('../../daemon/doctor/checks.js'); // loaded on use
    checks = await runDoctor({
      config,
      redisUrl: deps.processEnv.REDIS_URL || undefined,
      checkPublicUrl: !opts.offline,
    });
    checks = await withKeychainProbe(checks, deps.processEnv);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    checks = [{ name: 'config', status: 'fail', detail: err.message, fix: 'fix the variable named above' }];
  }
  const failed = checks.filter((c) => c.status === 'fail').length;
  const warned = checks.filter((c) => c.status === 'warn').length;
  outputFor(deps, opts).result({ ok: failed === 0, checks }, () =>
    [
      table(
        checks.map((c) => ({ ...c, status: c.status.toUpperCase(), fix: c.fix ?? '' })),
        ['name', 'status', 'detail', 'fix'],
        ['CHECK', 'STATUS', 'DETAIL', 'FIX'],
      ),
      '',
      failed > 0 ? `${failed} problem(s), ${warned} warning(s)` : `all good${warned ? ` (${warned} warning(s))` : ''}`,
    ].join('\n'),
  );
  return failed > 0 ? 1 : 0;
}

export function registerDoctor(program: Command, deps: CommandDeps): void {
  withJson(
    program
      .command('doctor')
      .description('check this machine for what Disco needs, with a fix for each problem')
      .option('--offline', 'do not contact DISCO_PUBLIC_URL'),
  ).action(async (opts: { json?: boolean; offline?: boolean }) => {
    deps.setExitCode(await doctor(deps, opts));
  });
}

import { statfs } from 'node:fs/promises';
import type { Config } from '../config.js';
import { networkReport } from '../containers/network-policy.js';
import { checkDatabase, type Db } from '../db/open.js';
import type { Sandbox } from '../workspace/sandbox.js';

export interface CheckResult {
  ok: boolean;
  [detail: string]: unknown;
}

export interface Readiness {
  status: 'ready' | 'not_ready';
  checks: Record<'database' | 'redis' | 'sandbox' | 'disk', CheckResult | { configured: false }>;
}

export interface ReadinessDeps {
  db: Db;
  sandbox: Pick<Sandbox, 'mode' | 'report'>;
  /** Whether a bubblewrap sandbox is required (DISCO_SANDBOX=bwrap). */
  sandboxRequired: boolean;
  /** Directory whose file system must keep free space ($DISCO_HOME). */
  home: string;
  minFreeBytes: number;
  /** Where workspaces live, reported too when it is another file system. */
  containersDir?: string;
  /** DISCO_DISK_RESERVE_MB in bytes: below it, container writes are refused with no_space. */
  reserveBytes?: number;
  /** Present only when Redis is configured: pings it. */
  redisPing?: () => Promise<void>;
}

/** Free bytes for an unprivileged user on the file system holding `dir`. */
export async function freeDiskBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

async function diskCheck(deps: ReadinessDeps): Promise<CheckResult> {
  const { home, minFreeBytes, containersDir, reserveBytes } = deps;
  try {
    const freeBytes = await freeDiskBytes(home);
    const containers =
      containersDir === undefined ? undefined : await freeDiskBytes(containersDir).catch(() => undefined);
    const refusing = reserveBytes !== undefined && reserveBytes > 0 && (containers ?? freeBytes) < reserveBytes;
    return {
      ok: freeBytes >= minFreeBytes,
      freeBytes,
      minFreeBytes,
      ...(containers !== undefined ? { containersFreeBytes: containers } : {}),
      ...(reserveBytes !== undefined ? { reserveBytes, refusingWrites: refusing } : {}),
      ...(freeBytes < minFreeBytes ? { error: 'free disk space is below DISCO_MIN_FREE_DISK_MB' } : {}),
    };
  } catch (err) {
    return { ok: false, error: `cannot stat the file system: ${(err as NodeJS.ErrnoException).code ?? 'error'}` };
  }
}

async function redisCheck(ping: ReadinessDeps['redisPing']): Promise<CheckResult | { configured: false }> {
  if (!ping) return { configured: false };
  const started = performance.now();
  try {
    await ping();
    return { ok: true, configured: true, latencyMs: Math.round((performance.now() - started) * 100) / 100 };
  } catch (err) {
    return { ok: false, configured: true, error: (err as Error).message };
  }
}

/**
 * `/ready`: can this instance serve traffic now? Unlike `/health` (the process is alive) it fails when a
 * dependency does: the database, Redis when configured, a required sandbox, or free disk space.
 */
export async function checkReadiness(deps: ReadinessDeps): Promise<Readiness> {
  const database = checkDatabase(deps.db);
  const { mode, commands, warning } = deps.sandbox.report();
  const sandbox: CheckResult = {
    ok: mode === 'bwrap' || !deps.sandboxRequired,
    mode,
    commands,
    ...(warning ? { warning } : {}),
  };
  const [disk, redis] = await Promise.all([diskCheck(deps), redisCheck(deps.redisPing)]);
  const checks = { database, redis, sandbox, disk };
  const ok = Object.values(checks).every((c) => !('ok' in c) || c.ok);
  return { status: ok ? 'ready' : 'not_ready', checks };
}

/** The checks of `GET /health`: the database, the sandbox and its limits, the network policy. */
export function healthChecks(
  db: Db,
  sandbox: Pick<Sandbox, 'report' | 'limitsReport'>,
  config: Pick<Config, 'allowHostNetwork'>,
): { ok: boolean; checks: Record<string, unknown> } {
  const database = checkDatabase(db);
  const { mode, commands, seccomp, warning, containerLimits, spawner } = sandbox.report();
  return {
    ok: database.ok,
    checks: {
      database,
      sandbox: {
        mode,
        commands,
        seccomp,
        ...(spawner ? { spawner } : {}),
        ...(warning ? { warning } : {}),
      },
      limits: sandbox.limitsReport(),
      ...(containerLimits ? { containerLimits } : {}),
      network: networkReport(config.allowHostNetwork),
    },
  };
}

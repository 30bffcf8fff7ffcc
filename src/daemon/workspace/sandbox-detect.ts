import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config.js';
import { NO_LIMITS, type ResourceLimits, Sandbox, which } from './sandbox.js';
import { type LaunchTools, mountSlots, writeSeccompFilter } from './sandbox-launch.js';

export interface DetectOptions {
  limits?: ResourceLimits;
  /** The bwrap program (DISCO_BWRAP); default `bwrap` on PATH. */
  bwrap?: string;
  /** uid/gid commands run as when the daemon is root (DISCO_SANDBOX_UID/GID); default 65534 (nobody). */
  uid?: number;
  gid?: number;
  /** Where the seccomp filter file is written: the daemon's state directory (default a private temp dir). */
  stateDir?: string;
}

/** The sandbox settings of a config (also used by `disco doctor`). */
export function sandboxOptions(config: Config): DetectOptions {
  return {
    limits: {
      memoryMb: config.limitMemoryMb,
      cpuSeconds: config.limitCpuSeconds,
      processes: config.limitProcesses,
      fileSizeMb: config.limitFileSizeMb,
    },
    bwrap: config.bwrap,
    uid: config.sandboxUid,
    gid: config.sandboxGid,
    stateDir: config.home,
  };
}

/**
 * Picks the sandbox: `auto` uses bubblewrap when it works here, else none with commands for admins only
 * (with a reason to warn about); `none` is none for everyone, on purpose; `bwrap` fails without it. Perf:
 * the probe runs in the background; the daemon starts it first and awaits it where it needs the sandbox, so
 * bubblewrap's trial run (tens of ms) overlaps the rest of the start instead of blocking the event loop.
 */
export async function detectSandbox(configured: 'auto' | 'bwrap' | 'none', opts: DetectOptions = {}): Promise<Sandbox> {
  const limits = opts.limits ?? NO_LIMITS;
  const prlimit = which('prlimit');
  if (configured === 'none') return new Sandbox('none', 'disabled by DISCO_SANDBOX=none', limits, prlimit);
  try {
    const { sandbox, probe: unlimited } = bwrapCandidate(limits, prlimit, opts);
    // A real run, not just a lookup: user namespaces may be forbidden even where bwrap is installed.
    const probe = mkdtempSync(path.join(os.tmpdir(), 'disco-probe-'));
    try {
      const cmd = unlimited.wrap('true', [], { root: probe, cwd: probe, network: 'off' });
      await runProbe(cmd.file, cmd.args, probe);
    } finally {
      rmSync(probe, { recursive: true, force: true });
    }
    return sandbox;
  } catch (err) {
    return unavailable(configured, err, limits, prlimit);
  }
}

const PROBE_TIMEOUT_MS = 10_000;

/**
 * The bubblewrap sandbox this host would use, and the same without per-process limits for its trial run
 * (throws when bwrap is missing). The probe runs unlimited: RLIMIT_NPROC counts every process of the
 * sandbox uid, so busy containers would otherwise fail it and the daemon would start without its sandbox.
 */
function bwrapCandidate(
  limits: ResourceLimits,
  prlimit: string | undefined,
  opts: DetectOptions,
): { sandbox: Sandbox; probe: Sandbox } {
  const bwrapPath = which(opts.bwrap ?? 'bwrap');
  if (!bwrapPath) throw Object.assign(new Error('bwrap not found'), { code: 'ENOENT' });
  const root = process.getuid?.() === 0;
  const uid = opts.uid ?? 65534;
  const tools: LaunchTools = {
    sh: which('sh') ?? '/bin/sh',
    bwrap: bwrapPath,
    ...(root ? { setpriv: which('setpriv'), unshare: which('unshare'), mount: which('mount') } : {}),
  };
  const launch = {
    tools,
    filter: writeSeccompFilter(opts.stateDir),
    owner: root ? { uid, gid: opts.gid ?? uid } : undefined,
    slots: root ? mountSlots() : undefined,
  };
  return {
    sandbox: new Sandbox('bwrap', 'bubblewrap', limits, prlimit, { launch }),
    probe: new Sandbox('bwrap', 'bubblewrap', NO_LIMITS, prlimit, { launch }),
  };
}

/** execFileSync's contract, without blocking: rejects with `stderr` (and `code` when it could not start). */
function runProbe(file: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'], cwd, timeout: PROBE_TIMEOUT_MS });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (stderr.length < 4096) stderr += d;
    });
    child.once('error', (err) => reject(Object.assign(err, { stderr })));
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(Object.assign(new Error(`probe exited with ${code ?? signal}`), { stderr }));
    });
  });
}

/** No bubblewrap here: why, as a sandbox of mode none (commands for admins only), or an error when required. */
function unavailable(
  configured: 'auto' | 'bwrap',
  err: unknown,
  limits: ResourceLimits,
  prlimit: string | undefined,
): Sandbox {
  const stderr = String((err as { stderr?: unknown }).stderr ?? '')
    .trim()
    .split('\n')[0];
  const why =
    (err as NodeJS.ErrnoException).code === 'ENOENT'
      ? 'bwrap is not installed'
      : `bwrap cannot run here${stderr ? ` (${stderr.slice(0, 200)})` : ''}`;
  if (configured === 'bwrap') throw new Error(`DISCO_SANDBOX=bwrap but ${why}`);
  return new Sandbox('none', `${why}; commands run unsandboxed`, limits, prlimit, { commands: 'admins' });
}

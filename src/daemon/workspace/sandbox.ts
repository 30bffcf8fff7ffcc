import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DiscoError } from '../errors.js';

export type SandboxMode = 'bwrap' | 'none';

/** Per-process resource limits (setrlimit through util-linux `prlimit`); 0 means no limit. */
export interface ResourceLimits {
  /** RLIMIT_DATA: heap and other private writable memory, in MiB. */
  memoryMb: number;
  /** RLIMIT_CPU: CPU seconds per process. */
  cpuSeconds: number;
  /** RLIMIT_NPROC: processes of the daemon's user (not enforced for root). */
  processes: number;
  /** RLIMIT_FSIZE: largest file a command may write, in MiB. */
  fileSizeMb: number;
}

export const NO_LIMITS: ResourceLimits = { memoryMb: 0, cpuSeconds: 0, processes: 0, fileSizeMb: 0 };

/** Where one command runs: its workspace, working directory, network, and any extra paths it may see. */
export interface Confinement {
  root: string;
  cwd: string;
  network: boolean;
  /** Host paths made visible read-only at the same place (e.g. a trusted file:// git remote). */
  readOnly?: readonly string[];
  /** Host paths made visible read-write at the same place (e.g. a file:// remote being pushed to). */
  writable?: readonly string[];
}

/**
 * The isolation commands of containers run under. Security: with bubblewrap, the workspace is the only
 * writable path; /usr is read-only; $DISCO_HOME (database, keys, other containers), /root and /home are
 * not mounted at all; /tmp is private; new PID/IPC/UTS namespaces; all capabilities dropped; the whole
 * namespace dies with its bwrap process (which the daemon kills as a group). Resource limits apply with
 * or without bubblewrap.
 */
export class Sandbox {
  constructor(
    readonly mode: SandboxMode,
    /** Why this mode: found bwrap, asked for none, bwrap missing… shown in /health and the logs. */
    readonly reason: string,
    readonly limits: ResourceLimits = NO_LIMITS,
    /** Path of util-linux `prlimit`, or undefined when it is missing (limits then cannot be applied). */
    readonly prlimit: string | undefined = undefined,
  ) {}

  /** True when `network: false` can be honoured (it needs a network namespace). */
  get canIsolateNetwork(): boolean {
    return this.mode === 'bwrap';
  }

  /** What the limits actually do here, for /health. */
  limitsReport(): { applied: boolean; limits: ResourceLimits; warning?: string } {
    const any = Object.values(this.limits).some((v) => v > 0);
    if (!any) return { applied: false, limits: this.limits };
    if (!this.prlimit) return { applied: false, limits: this.limits, warning: 'prlimit (util-linux) is not installed' };
    return {
      applied: true,
      limits: this.limits,
      ...(this.limits.processes > 0 && process.getuid?.() === 0
        ? { warning: 'the daemon runs as root, so the process-count limit is not enforced' }
        : {}),
    };
  }

  /** The program and arguments that run `file args` confined: limits, then bubblewrap, then the command. */
  wrap(file: string, args: readonly string[], c: Confinement): { file: string; args: string[] } {
    if (!c.network && !this.canIsolateNetwork) {
      throw new DiscoError(
        'unavailable',
        'network is turned off for this container, but commands are not sandboxed here, so it cannot be enforced',
      );
    }
    let cmd = [file, ...args];
    if (this.mode === 'bwrap') cmd = ['bwrap', ...bwrapArgs(c), '--', ...cmd];
    const rl = prlimitArgs(this.limits);
    if (rl.length > 0 && this.prlimit) cmd = [this.prlimit, ...rl, '--', ...cmd];
    return { file: cmd[0] as string, args: cmd.slice(1) };
  }
}

const MIB = 1024 * 1024;

export function prlimitArgs(l: ResourceLimits): string[] {
  const out: string[] = [];
  const set = (name: string, value: number) => value > 0 && out.push(`--${name}=${value}:${value}`);
  set('data', l.memoryMb * MIB);
  set('cpu', l.cpuSeconds);
  set('nproc', l.processes);
  set('fsize', l.fileSizeMb * MIB);
  return out;
}

function which(name: string): string | undefined {
  return findExecutable(name, '/', process.env.PATH ?? '/usr/bin:/bin');
}

/** Picks the sandbox: `auto` uses bubblewrap when it works here, else none (with a reason to warn about). */
export function detectSandbox(configured: 'auto' | 'bwrap' | 'none', limits: ResourceLimits = NO_LIMITS): Sandbox {
  const prlimit = which('prlimit');
  if (configured === 'none') return new Sandbox('none', 'disabled by DISCO_SANDBOX=none', limits, prlimit);
  try {
    // A real run, not just a lookup: user namespaces may be forbidden even where bwrap is installed.
    const probe = os.tmpdir();
    execFileSync('bwrap', [...bwrapArgs({ root: probe, cwd: probe, network: false }), '--', 'true'], {
      stdio: 'ignore',
      timeout: 10_000,
    });
    return new Sandbox('bwrap', 'bubblewrap', limits, prlimit);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'bwrap is not installed' : 'bwrap cannot run here';
    if (configured === 'bwrap') throw new Error(`DISCO_SANDBOX=bwrap but ${why}`);
    return new Sandbox('none', `${why}; commands run unsandboxed`, limits, prlimit);
  }
}

/** The few /etc files programs need (DNS, users, TLS roots); the rest of /etc stays hidden. */
const ETC = [
  'resolv.conf',
  'hosts',
  'nsswitch.conf',
  'passwd',
  'group',
  'localtime',
  'ssl',
  'ca-certificates',
  'alternatives',
  'gitconfig',
];

/** bubblewrap arguments for one command (see Sandbox for what they guarantee). */
export function bwrapArgs(c: Confinement): string[] {
  const args = [
    '--die-with-parent',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(c.network ? [] : ['--unshare-net']),
    '--cap-drop',
    'ALL',
    '--ro-bind',
    '/usr',
    '/usr',
  ];
  for (const dir of ['bin', 'lib', 'lib64', 'sbin', 'lib32']) {
    if (existsSync(path.join('/usr', dir))) args.push('--symlink', `usr/${dir}`, `/${dir}`);
  }
  for (const name of ETC) args.push('--ro-bind-try', `/etc/${name}`, `/etc/${name}`);
  // Node (and tools beside it) may live outside /usr, e.g. under /opt or a version manager's directory.
  const nodePrefix = path.dirname(path.dirname(process.execPath));
  if (!nodePrefix.startsWith('/usr')) args.push('--ro-bind', nodePrefix, nodePrefix);
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--bind', c.root, c.root);
  for (const p of c.readOnly ?? []) args.push('--ro-bind', p, p);
  for (const p of c.writable ?? []) args.push('--bind', p, p);
  args.push('--chdir', c.cwd);
  return args;
}

/** Finds an argv[0] the way execvp would, so a missing command is reported before anything starts. */
export function findExecutable(command: string, cwd: string, pathVar: string): string | undefined {
  const candidates = command.includes('/')
    ? [path.resolve(cwd, command)]
    : pathVar
        .split(':')
        .filter(Boolean)
        .map((dir) => path.join(dir, command));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

import { accessSync, constants, existsSync, lchownSync, lstatSync } from 'node:fs';
import path from 'node:path';
import { actsAsAdmin } from '../auth/scopes.js';
import { DiscoError } from '../errors.js';
import type { Cgroups, CgroupsReport } from '../sandbox/cgroups.js';
import type { NetworkMode } from '../sandbox/network-mode.js';
import { bwrapArgs } from './bwrap-args.js';
import { joinCgroupsArgv, type LaunchTools, launchArgv, mountSlots, type Owner } from './sandbox-launch.js';

export { bwrapArgs };

export type SandboxMode = 'bwrap' | 'none';

/** Per-process resource limits (setrlimit through util-linux `prlimit`); 0 means no limit. */
export interface ResourceLimits {
  /** RLIMIT_DATA: heap and other private writable memory, in MiB. */
  memoryMb: number;
  /** RLIMIT_CPU: CPU seconds per process. */
  cpuSeconds: number;
  /** RLIMIT_NPROC: processes of the user commands run as (not enforced when that is root). */
  processes: number;
  /** RLIMIT_FSIZE: largest file a command may write, in MiB. */
  fileSizeMb: number;
}

export const NO_LIMITS: ResourceLimits = { memoryMb: 0, cpuSeconds: 0, processes: 0, fileSizeMb: 0 };

/** Where one command runs: its workspace, working directory, network, and any extra paths it may see. */
export interface Confinement {
  root: string;
  cwd: string;
  /**
   * `host` shares the daemon's network namespace; `off` and `egress` get their own (loopback only; in
   * `egress` the container's supervisor bridges a loopback port to the daemon's proxy).
   */
  network: NetworkMode;
  /**
   * Host directories made visible at another path: read-only (the supervisor's run directories) unless
   * `writable` (the container's browser profiles).
   */
  mounts?: readonly { from: string; to: string; writable?: boolean }[];
  /** The container the command belongs to: its cgroups (per-container limits) are joined first. */
  container?: string;
  /** Host paths made visible read-only at the same place (e.g. a trusted file:// git remote). */
  readOnly?: readonly string[];
  /** Host paths made visible read-write at the same place (e.g. a file:// remote being pushed to). */
  writable?: readonly string[];
  /** Runs on a PTY: keeps the terminal as its controlling terminal (no new session; TIOCSTI is filtered). */
  pty?: boolean;
}

/** Who may run programs in containers: everyone, or only admins (no sandbox and nobody chose that). */
export type CommandAccess = 'everyone' | 'admins';

/** Refusal of a program run by a non-admin on a host where commands cannot be sandboxed. */
export class SandboxRequiredError extends DiscoError {
  constructor(what: string, reason: string) {
    super(
      'sandbox_required',
      `${what} would run unsandboxed here (${reason}), beside the daemon's keys, so only admins may do it; ` +
        'install bubblewrap (and allow user namespaces), or an admin may set DISCO_SANDBOX=none to allow everyone',
      { sandbox: 'none', reason },
    );
  }
}

export interface SandboxReport {
  mode: SandboxMode;
  commands: CommandAccess;
  reason: string;
  seccomp: boolean;
  /** The host uid commands run as, when the daemon is root. */
  uid?: number;
  warning?: string;
  /** Per-container limits (cgroups): which are enforced here, and why not. */
  containerLimits?: CgroupsReport;
  /** Who starts piped processes inside container sandboxes (mode bwrap): the native spawner or Node. */
  spawner?: { path: 'native' | 'node'; reason: string };
}

export interface SandboxExtras {
  /** Builds bwrap's command line (mode bwrap only). */
  launch?: { tools: LaunchTools; filter: string | undefined; owner: Owner | undefined; slots: string | undefined };
  /** Who may run programs (default everyone). */
  commands?: CommandAccess;
}

/**
 * The isolation commands of containers run under. Security: with bubblewrap, the workspace is the only
 * writable path; /usr is read-only; $DISCO_HOME (database, keys, other containers), /root and /home are
 * not mounted at all; /tmp is private; /proc/sys is read-only; new user, PID/IPC/UTS namespaces and no
 * further user namespaces; all capabilities dropped; a seccomp deny-list (seccomp.ts); the whole
 * namespace dies with its bwrap process (which the daemon kills as a group). A root daemon drops to an
 * unprivileged uid (`owner`) before bwrap, so no command holds host root. Resource limits apply with or
 * without bubblewrap. Without bubblewrap only admins may run programs unless DISCO_SANDBOX=none.
 */
export class Sandbox {
  constructor(
    readonly mode: SandboxMode,
    /** Why this mode: found bwrap, asked for none, bwrap missing… shown in /health and the logs. */
    readonly reason: string,
    readonly limits: ResourceLimits = NO_LIMITS,
    /** Path of util-linux `prlimit`, or undefined when it is missing (limits then cannot be applied). */
    readonly prlimit: string | undefined = undefined,
    private readonly extras: SandboxExtras = {},
  ) {}

  /** Per-container limits (cgroups); commands that name their container join its groups. */
  cgroups: Cgroups | undefined;

  /** Who starts piped processes in container sandboxes (set by the daemon when it runs them). */
  spawner: (() => NonNullable<SandboxReport['spawner']>) | undefined;

  /** True when a network namespace of its own can be given (`off`, and `egress`'s isolation). */
  get canIsolateNetwork(): boolean {
    return this.mode === 'bwrap';
  }

  /** Who may run programs (exec, terminals, git). */
  get commands(): CommandAccess {
    return this.extras.commands ?? 'everyone';
  }

  /**
   * The host uid and gid commands run as when the daemon is root (undefined otherwise): the container
   * root and whatever the daemon creates in a workspace must belong to them so commands can write there.
   */
  get owner(): Owner | undefined {
    return this.extras.launch?.owner;
  }

  /** True when commands run under the seccomp filter. */
  get seccomp(): boolean {
    return this.mode === 'bwrap' && this.extras.launch?.filter !== undefined;
  }

  /**
   * Throws sandbox_required when `who` may not run programs here (`what`: a command, a terminal, git).
   * Security: unsandboxed, a program runs as the daemon's user beside its keys and database, so it can do
   * everything an admin can: an admin's token without the admin scope (an exec token handed to a model)
   * may not run one either.
   */
  assertMayRun(who: { isAdmin: boolean; scopes: ReadonlySet<string> }, what: string): void {
    if (this.commands === 'admins' && !actsAsAdmin(who)) throw new SandboxRequiredError(what, this.reason);
  }

  /** What /health, /ready and /capabilities say about the sandbox. */
  report(): SandboxReport {
    return {
      mode: this.mode,
      commands: this.commands,
      reason: this.reason,
      seccomp: this.seccomp,
      ...(this.owner ? { uid: this.owner.uid } : {}),
      ...(this.cgroups ? { containerLimits: this.cgroups.report() } : {}),
      ...(this.spawner ? { spawner: this.spawner() } : {}),
      ...(this.mode === 'none'
        ? {
            warning:
              `container commands are not sandboxed: ${this.reason}` +
              (this.commands === 'admins'
                ? '; only admins may run them'
                : '; everyone may run them (DISCO_SANDBOX=none)'),
          }
        : {}),
    };
  }

  /** What the limits actually do here, for /health. */
  limitsReport(): { applied: boolean; limits: ResourceLimits; warning?: string } {
    const any = Object.values(this.limits).some((v) => v > 0);
    if (!any) return { applied: false, limits: this.limits };
    if (!this.prlimit) return { applied: false, limits: this.limits, warning: 'prlimit (util-linux) is not installed' };
    return {
      applied: true,
      limits: this.limits,
      ...(this.limits.processes > 0 && process.getuid?.() === 0 && !this.owner
        ? { warning: 'commands run as root, so the process-count limit is not enforced' }
        : {}),
    };
  }

  /** The program and arguments that run `file args` confined: limits, then bubblewrap, then the command. */
  wrap(file: string, args: readonly string[], c: Confinement): { file: string; args: string[] } {
    // Without a sandbox, `off` cannot be honoured and is refused; `egress` runs with the host's network
    // (nothing is isolated there anyway: the command runs beside the daemon's keys, which the report says).
    if (c.network === 'off' && !this.canIsolateNetwork) {
      throw new DiscoError(
        'unavailable',
        "network mode 'off' cannot be enforced here: commands are not sandboxed (no network namespace)",
        { network: 'off' },
      );
    }
    const cmd = this.mode === 'bwrap' ? this.launch([file, ...args], c) : this.joinGroups(c, [file, ...args]);
    const limited = this.withLimits(cmd);
    return { file: limited[0] as string, args: limited.slice(1) };
  }

  /** `argv` under the per-process limits (prlimit), when any are set and prlimit exists. */
  withLimits(argv: string[]): string[] {
    return this.underPrlimit(prlimitArgs(this.limits), argv);
  }

  /**
   * `argv` of a long-lived parent of commands (a container's supervisor) under the limits it holds for
   * them: every process it starts inherits them, and each counts its own memory and file size from zero
   * (the process count is per user anyway), so they are set once rather than by a prlimit per command.
   */
  withInheritedLimits(argv: string[]): string[] {
    return this.underPrlimit(prlimitArgs({ ...this.limits, cpuSeconds: 0 }), argv);
  }

  /**
   * `argv` of a command its parent starts with withInheritedLimits under the limits it could not inherit:
   * CPU seconds (the parent's own running time would use them up). Without one, argv as it is.
   */
  withCommandLimits(argv: string[]): string[] {
    return this.underPrlimit(prlimitArgs({ ...NO_LIMITS, cpuSeconds: this.limits.cpuSeconds }), argv);
  }

  private underPrlimit(rl: string[], argv: string[]): string[] {
    return rl.length > 0 && this.prlimit ? [this.prlimit, ...rl, '--', ...argv] : argv;
  }

  /**
   * The argv that starts `command` under bubblewrap (mode bwrap), without per-process limits: a one-off
   * command, or a container's long-lived supervisor. With `c.container`, the launcher first joins that
   * container's cgroups (per-container limits, cgroups.ts), so everything inside is counted there.
   */
  launch(command: string[], c: Confinement): string[] {
    const launch = this.extras.launch;
    if (this.mode !== 'bwrap' || !launch) throw new Error('not a bubblewrap sandbox');
    if (launch.owner) claimRoot(c.root, launch.owner);
    // A tmp cleaner may have removed the slots of a long-running daemon: make them again.
    if (launch.slots && !existsSync(path.join(launch.slots, '0'))) launch.slots = mountSlots();
    return this.joinGroups(
      c,
      launchArgv(launch.tools, launch, (bind) => bwrapArgs(c, bind), command),
    );
  }

  /** `cmd` started by a shell that first writes its pid into the container's cgroups, if any. */
  private joinGroups(c: Confinement, cmd: string[]): string[] {
    const groups = c.container !== undefined ? this.cgroups?.groupFor(c.container) : undefined;
    return groups ? joinCgroupsArgv(this.extras.launch?.tools.sh ?? which('sh') ?? '/bin/sh', groups, cmd) : cmd;
  }
}

/**
 * Security: the workspace root itself (never what is inside: a container controls that tree) is given
 * to the sandbox uid, without following links, so commands can create files at the top.
 */
export function claimRoot(root: string, owner: Owner): void {
  const s = lstatSync(root);
  if (s.isDirectory() && (s.uid !== owner.uid || s.gid !== owner.gid)) lchownSync(root, owner.uid, owner.gid);
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

export function which(name: string): string | undefined {
  return findExecutable(name, '/', process.env.PATH ?? '/usr/bin:/bin');
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

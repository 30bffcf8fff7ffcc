import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DiscoError } from '../errors.js';
import { processAlive } from '../workspace/container-pids.js';

/** Per-container limits (all processes of one container together); 0 means no limit. */
export interface ContainerLimits {
  memoryMb: number;
  pids: number;
  /** CPUs, fractional allowed (1.5 = 150 ms of CPU time per 100 ms). */
  cpus: number;
}

export type LimitName = 'memory' | 'pids' | 'cpu';
const NAMES: readonly LimitName[] = ['memory', 'pids', 'cpu'];

export interface LimitReport {
  enforced: boolean;
  /** The configured value (MiB, processes, CPUs); 0 = none asked for. */
  limit: number;
  /** How it is enforced, or why not. */
  reason: string;
}

export interface CgroupsReport {
  /** The cgroup hierarchy the limits use here: v2 (unified), v1 (legacy/hybrid), or none. */
  version: 'v2' | 'v1' | 'none';
  memory: LimitReport;
  pids: LimitReport;
  cpu: LimitReport;
}

/** Where the cgroup files are (tests point these at a fake tree). */
export interface CgroupsHost {
  mountinfo: string;
  selfCgroup: string;
  isRoot: boolean;
  pid: number;
}

interface Hierarchy {
  version: 'v1' | 'v2';
  /** This daemon's own directory for container groups, e.g. /sys/fs/cgroup/memory/…/disco-<key>. */
  base: string;
  controllers: LimitName[];
}

const CPU_PERIOD_US = 100_000;
const CONTAINER_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Per-container memory, process and CPU limits through cgroups. Each container gets a group under a
 * directory of this daemon (`disco-<hash of $DISCO_HOME>`, so daemons sharing a host never touch each
 * other's groups); the launch wrapper writes its own pid into the group's `cgroup.procs` while it still
 * runs as the daemon's user (root before setpriv), so everything the command forks is counted, whatever
 * uid it later runs as. Security: the sandbox never sees /sys/fs/cgroup, so nothing inside can move
 * itself out or raise a limit (without a sandbox, commands run as the daemon's user and could).
 */
export class Cgroups {
  private readonly made = new Set<string>();

  constructor(
    readonly limits: ContainerLimits,
    private readonly hierarchies: readonly Hierarchy[],
    private readonly state: CgroupsReport,
  ) {}

  report(): CgroupsReport {
    return structuredClone(this.state);
  }

  /** True when at least one limit is enforced (commands then join their container's groups). */
  get active(): boolean {
    return this.hierarchies.length > 0;
  }

  /**
   * Creates the container's group(s) with the limits (idempotent) and returns the directories whose
   * `cgroup.procs` a launch wrapper writes its pid into; undefined when nothing is enforced here.
   */
  groupFor(containerId: string): string[] | undefined {
    if (!this.active) return undefined;
    if (!CONTAINER_ID.test(containerId)) throw new Error(`not a container id: ${containerId}`);
    const dirs: string[] = [];
    for (const h of this.hierarchies) {
      const dir = path.join(h.base, containerId);
      try {
        if (!this.made.has(dir) || !existsSync(dir)) {
          mkdirSync(h.base, { recursive: true });
          if (h.version === 'v2') enableControllers(h.base, h.controllers);
          mkdirSync(dir, { recursive: true });
          applyLimits(dir, h, this.limits);
          this.made.add(dir);
        }
      } catch (err) {
        throw new DiscoError(
          'unavailable',
          `cannot set up the container's cgroup for its limits: ${(err as Error).message}`,
          { cgroup: dir },
        );
      }
      dirs.push(dir);
    }
    return dirs;
  }

  /** Ends whatever still runs in the container's groups and removes them (after its sandbox ended). */
  async remove(containerId: string): Promise<void> {
    if (!this.active || !CONTAINER_ID.test(containerId)) return;
    for (const h of this.hierarchies) this.made.delete(path.join(h.base, containerId));
    await Promise.all(this.hierarchies.map((h) => removeGroup(path.join(h.base, containerId))));
  }

  /**
   * Removes the groups that daemons of this home which no longer run left behind (a crash), ending their
   * processes. Returns how many container groups went.
   */
  async cleanup(): Promise<number> {
    let n = 0;
    for (const h of this.hierarchies) {
      const parent = path.dirname(h.base);
      const m = /^(disco-[0-9a-f]+)-(\d+)$/.exec(path.basename(h.base));
      if (!m) continue;
      for (const name of subgroupNames(parent)) {
        const stale = new RegExp(`^${m[1]}-(\\d+)$`).exec(name);
        if (!stale || name === path.basename(h.base) || processAlive(Number(stale[1]))) continue;
        n += await removeAll(path.join(parent, name));
      }
    }
    return n;
  }

  /** Daemon shutdown: every group ends, then the daemon's own directory goes. */
  async shutdown(): Promise<void> {
    for (const h of this.hierarchies) await removeAll(h.base);
    this.made.clear();
  }
}

function subgroupNames(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && CONTAINER_ID.test(e.name))
      .map((e) => e.name);
  } catch {
    return [];
  }
}

/** Removes a daemon directory: each container group (ending its processes), then the directory. */
async function removeAll(base: string): Promise<number> {
  const names = subgroupNames(base);
  for (const name of names) await removeGroup(path.join(base, name));
  tryRmdir(base);
  return names.length;
}

function tryRmdir(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/**
 * Pauses between attempts to remove a group whose killed processes are still exiting: short at first
 * (they are usually gone within a few ms, and a restart of the container waits for this), then 20 ms;
 * about a second in all, as before. Perf: a flat 20 ms made an immediate restart wait ~20 ms for nothing.
 */
const REMOVE_PAUSES_MS = [1, 2, 4, 8, 16, ...Array<number>(47).fill(20)];

/** Kills the group's processes (cgroup.kill on v2, else each pid) until the group can be removed. */
async function removeGroup(dir: string): Promise<void> {
  for (const pause of REMOVE_PAUSES_MS) {
    if (!existsSync(dir)) return;
    if (existsSync(path.join(dir, 'cgroup.kill'))) {
      try {
        writeFileSync(path.join(dir, 'cgroup.kill'), '1');
      } catch {
        // fall through to the pids
      }
    }
    for (const pid of pidsIn(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    if (tryRmdir(dir)) return;
    await new Promise((r) => setTimeout(r, pause));
  }
}

function pidsIn(dir: string): number[] {
  try {
    return readFileSync(path.join(dir, 'cgroup.procs'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(Number)
      .filter((p) => Number.isInteger(p) && p > 1);
  } catch {
    return [];
  }
}

const V2_FILE: Record<LimitName, string> = { memory: 'memory.max', pids: 'pids.max', cpu: 'cpu.max' };
const V1_FILE: Record<LimitName, string> = {
  memory: 'memory.limit_in_bytes',
  pids: 'pids.max',
  cpu: 'cpu.cfs_quota_us',
};

/**
 * Tasks the sandbox itself needs beside the container's own processes: bwrap's init and the supervisor with
 * its threads (Node's platform and libuv threads count as tasks). pids.max is the setting plus these, so
 * DISCO_CONTAINER_PIDS is what the container's commands may have.
 */
export const SANDBOX_OWN_TASKS = 16;

function applyLimits(dir: string, h: Hierarchy, l: ContainerLimits): void {
  const write = (file: string, value: string) => writeFileSync(path.join(dir, file), value);
  const bytes = String(l.memoryMb * 1024 * 1024);
  const quota = String(Math.max(1000, Math.round(l.cpus * CPU_PERIOD_US)));
  for (const c of h.controllers) {
    if (h.version === 'v2') {
      if (c === 'memory') {
        write('memory.max', bytes);
        // No swapping around the limit where swap exists.
        if (existsSync(path.join(dir, 'memory.swap.max'))) write('memory.swap.max', '0');
      } else if (c === 'pids') write('pids.max', String(l.pids + SANDBOX_OWN_TASKS));
      else write('cpu.max', `${quota} ${CPU_PERIOD_US}`);
    } else if (c === 'memory') {
      write('memory.limit_in_bytes', bytes);
      if (existsSync(path.join(dir, 'memory.memsw.limit_in_bytes'))) write('memory.memsw.limit_in_bytes', bytes);
    } else if (c === 'pids') write('pids.max', String(l.pids + SANDBOX_OWN_TASKS));
    else {
      write('cpu.cfs_period_us', String(CPU_PERIOD_US));
      write('cpu.cfs_quota_us', quota);
    }
  }
}

function enableControllers(dir: string, controllers: readonly LimitName[]): void {
  const control = path.join(dir, 'cgroup.subtree_control');
  const on = readFileSync(control, 'utf8').split(/\s+/);
  const missing = controllers.filter((c) => !on.includes(c));
  if (missing.length > 0) writeFileSync(control, missing.map((c) => `+${c}`).join(' '));
}

const configured = (l: ContainerLimits, c: LimitName) => (c === 'memory' ? l.memoryMb : c === 'pids' ? l.pids : l.cpus);
const SETTING: Record<LimitName, string> = {
  memory: 'DISCO_CONTAINER_MEMORY_MB',
  pids: 'DISCO_CONTAINER_PIDS',
  cpu: 'DISCO_CONTAINER_CPUS',
};

export type { Hierarchy };
export { applyLimits, CONTAINER_ID, configured, enableControllers, NAMES, SETTING, tryRmdir, V1_FILE, V2_FILE };

/**
 * The directory name of one daemon's groups: `disco-<hash of $DISCO_HOME>-<pid>`. Daemons on one host never
 * touch each other's groups, even two processes on one home (`disco mcp` beside `disco serve`); a restarted
 * daemon finds what a dead one of the same home left by the hash and a pid that no longer runs.
 */
export function baseName(home: string, pid: number): string {
  let real = home;
  try {
    real = realpathSync(home);
  } catch {
    // not created yet: the configured path
  }
  return `disco-${createHash('sha256').update(real).digest('hex').slice(0, 12)}-${pid}`;
}

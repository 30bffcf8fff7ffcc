import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  applyLimits,
  baseName,
  Cgroups,
  type CgroupsHost,
  type CgroupsReport,
  type ContainerLimits,
  configured,
  enableControllers,
  type Hierarchy,
  type LimitName,
  type LimitReport,
  NAMES,
  SETTING,
  tryRmdir,
} from './cgroups.js';

interface Mount {
  version: 'v1' | 'v2';
  mountpoint: string;
  /** The hierarchy path mounted there (not `/` inside a cgroup namespace). */
  root: string;
  controllers: string[];
}

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

/** cgroup mounts from /proc/self/mountinfo. */
export function cgroupMounts(mountinfo: string): Mount[] {
  const out: Mount[] = [];
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const f = left.split(' ');
    const [fstype, , superopts = ''] = right.split(' ');
    const mountpoint = f[4];
    const root = f[3];
    if (!mountpoint || !root) continue;
    if (fstype === 'cgroup2') out.push({ version: 'v2', mountpoint, root, controllers: [] });
    else if (fstype === 'cgroup') out.push({ version: 'v1', mountpoint, root, controllers: superopts.split(',') });
  }
  return out;
}

/** This process's path in the v2 hierarchy (`0::/x`) and in each v1 controller's (`4:memory:/x`). */
function ownPaths(selfCgroup: string): { v2?: string; v1: Map<string, string> } {
  const v1 = new Map<string, string>();
  let v2: string | undefined;
  for (const line of selfCgroup.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    if (m[1] === '0' && m[2] === '') v2 = m[3];
    else for (const c of (m[2] ?? '').split(',')) v1.set(c, m[3] ?? '/');
  }
  return { ...(v2 !== undefined ? { v2 } : {}), v1 };
}

/** The directory of `own` under a mount of the hierarchy (its root may be a sub-path in a cgroup namespace). */
function dirOf(m: Mount, own: string): string {
  const rel = m.root !== '/' && own.startsWith(m.root) ? own.slice(m.root.length) : own;
  return path.join(m.mountpoint, rel);
}

const why = (err: unknown) => {
  const e = err as NodeJS.ErrnoException;
  return e.code ? (e.message.split(',')[0] ?? e.code) : e.message;
};

/** Creates the daemon's directory and one probe group with the limits, then removes the probe. */
function probe(h: Hierarchy, limits: ContainerLimits, pid: number): void {
  mkdirSync(h.base, { recursive: true });
  if (h.version === 'v2') enableControllers(h.base, h.controllers);
  const dir = path.join(h.base, `probe-${pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    applyLimits(dir, h, limits);
  } finally {
    tryRmdir(dir);
  }
}

/**
 * cgroup v2: a root daemon makes its groups at the top of the hierarchy; otherwise under its own cgroup
 * when that is delegated to it (systemd Delegate=yes), moving itself into a leaf first, since v2 lets a
 * group with processes of its own hand no controllers down.
 */
function setUpV2(m: Mount, own: string, wanted: LimitName[], key: string, host: CgroupsHost): Hierarchy {
  const parent = host.isRoot ? m.mountpoint : dirOf(m, own);
  const offered = readOr(path.join(parent, 'cgroup.controllers'), '').split(/\s+/);
  const controllers = wanted.filter((c) => offered.includes(c));
  if (controllers.length === 0)
    throw new Error(`the cgroup v2 hierarchy at ${parent} offers none of ${wanted.join(', ')}`);
  try {
    enableControllers(parent, controllers);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EBUSY' || host.isRoot) throw err;
    const leaf = path.join(parent, `${key}-daemon`);
    mkdirSync(leaf, { recursive: true });
    writeFileSync(path.join(leaf, 'cgroup.procs'), String(host.pid));
    enableControllers(parent, controllers);
  }
  return { version: 'v2', base: path.join(parent, key), controllers };
}

/**
 * Finds what per-container limits this host lets the daemon enforce: cgroup v2 where it offers the
 * controller, else the v1 hierarchy of that controller (hybrid hosts), each probed by really creating a
 * group and writing the limit. Limits set to 0 are not asked for. Never throws: the report says why not.
 */
export function detectCgroups(
  settings: { containerMemoryMb: number; containerPids: number; containerCpus: number; home: string },
  hostOverride: Partial<CgroupsHost> = {},
): Cgroups {
  const limits: ContainerLimits = {
    memoryMb: settings.containerMemoryMb,
    pids: settings.containerPids,
    cpus: settings.containerCpus,
  };
  const host: CgroupsHost = {
    mountinfo: hostOverride.mountinfo ?? readOr('/proc/self/mountinfo', ''),
    selfCgroup: hostOverride.selfCgroup ?? readOr('/proc/self/cgroup', ''),
    isRoot: hostOverride.isRoot ?? process.getuid?.() === 0,
    pid: hostOverride.pid ?? process.pid,
  };
  const key = baseName(settings.home, host.pid);
  const reports = {} as Record<LimitName, LimitReport>;
  const wanted = NAMES.filter((c) => {
    if (configured(limits, c) > 0) return true;
    reports[c] = { enforced: false, limit: 0, reason: `no limit set (${SETTING[c]}=0)` };
    return false;
  });
  const mounts = cgroupMounts(host.mountinfo);
  const own = ownPaths(host.selfCgroup);
  const hierarchies: Hierarchy[] = [];
  const fail = (cs: readonly LimitName[], reason: string) => {
    for (const c of cs) reports[c] ??= { enforced: false, limit: configured(limits, c), reason };
  };

  let rest = wanted;
  const v2 = mounts.find((m) => m.version === 'v2');
  if (v2 && rest.length > 0 && own.v2 !== undefined) {
    try {
      const h = setUpV2(v2, own.v2, rest, key, host);
      probe(h, limits, host.pid);
      hierarchies.push(h);
      for (const c of h.controllers) {
        reports[c] = { enforced: true, limit: configured(limits, c), reason: `cgroup v2 (${h.base})` };
      }
      rest = rest.filter((c) => !h.controllers.includes(c));
    } catch (err) {
      // A hybrid host's unified hierarchy often has no controllers: v1 may still do it.
      if (!mounts.some((m) => m.version === 'v1')) fail(rest, `cgroup v2: ${why(err)}`);
    }
  }
  const byMount = new Map<Mount, LimitName[]>();
  for (const c of rest) {
    const m = mounts.find((x) => x.version === 'v1' && x.controllers.includes(c));
    if (!m) {
      fail([c], `no cgroup hierarchy with the ${c} controller is mounted`);
      continue;
    }
    byMount.set(m, [...(byMount.get(m) ?? []), c]);
  }
  for (const [m, cs] of byMount) {
    const h: Hierarchy = {
      version: 'v1',
      base: path.join(dirOf(m, own.v1.get(cs[0] as string) ?? '/'), key),
      controllers: cs,
    };
    try {
      probe(h, limits, host.pid);
      hierarchies.push(h);
      for (const c of cs)
        reports[c] = { enforced: true, limit: configured(limits, c), reason: `cgroup v1 (${h.base})` };
    } catch (err) {
      fail(
        cs,
        `cannot make a cgroup in ${path.dirname(h.base)}: ${why(err)}; run the daemon as root or give it a delegated cgroup`,
      );
    }
  }
  fail(wanted, 'no usable cgroup hierarchy');
  const version = hierarchies.some((h) => h.version === 'v2') ? 'v2' : hierarchies.length > 0 ? 'v1' : 'none';
  const state: CgroupsReport = { version, memory: reports.memory, pids: reports.pids, cpu: reports.cpu };
  return new Cgroups(limits, hierarchies, state);
}

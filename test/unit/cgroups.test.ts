import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baseName, SANDBOX_OWN_TASKS } from '../../src/daemon/sandbox/cgroups.js';
import { cgroupMounts, detectCgroups } from '../../src/daemon/sandbox/cgroups-detect.js';
import { tempDir } from '../helpers/daemon.js';

// Plain directories stand in for the cgroup file systems: these tests check what is read and written
// where; test/http/container-limits.test.ts checks that the kernel enforces it.
const HYBRID = (root: string) =>
  [
    `30 25 0:26 / ${root}/unified rw,nosuid - cgroup2 cgroup2 rw`,
    `31 25 0:27 / ${root}/memory rw,nosuid - cgroup cgroup rw,memory`,
    `32 25 0:28 / ${root}/pids rw,nosuid - cgroup cgroup rw,pids`,
    `33 25 0:29 / ${root}/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct`,
    '40 25 8:1 / /home rw - ext4 /dev/sda1 rw',
  ].join('\n');
const SELF = '4:memory:/svc\n3:pids:/\n2:cpu,cpuacct:/\n0::/\n';
const settings = (home: string, memoryMb = 64, pids = 20, cpus = 1.5) => ({
  containerMemoryMb: memoryMb,
  containerPids: pids,
  containerCpus: cpus,
  home,
});

let dirs: string[] = [];
const temp = async () => {
  const d = await tempDir('disco-cg-');
  dirs.push(d);
  return d;
};
afterEach(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  dirs = [];
});

describe('cgroupMounts', () => {
  it('finds v1 hierarchies with their controllers and the v2 mount, and nothing else', () => {
    const m = cgroupMounts(HYBRID('/sys/fs/cgroup'));
    expect(m.map((x) => [x.version, x.mountpoint])).toEqual([
      ['v2', '/sys/fs/cgroup/unified'],
      ['v1', '/sys/fs/cgroup/memory'],
      ['v1', '/sys/fs/cgroup/pids'],
      ['v1', '/sys/fs/cgroup/cpu,cpuacct'],
    ]);
    expect(m[3]?.controllers).toContain('cpu');
  });
});

describe('detectCgroups', () => {
  it('on a hybrid host whose unified hierarchy has no controllers, uses v1 under the daemon’s own groups', async () => {
    const root = await temp();
    const home = await temp();
    mkdirSync(path.join(root, 'unified'), { recursive: true });
    writeFileSync(path.join(root, 'unified', 'cgroup.controllers'), 'hugetlb\n');
    const cg = detectCgroups(settings(home), { mountinfo: HYBRID(root), selfCgroup: SELF, isRoot: true, pid: 4242 });
    const r = cg.report();
    expect(r.version).toBe('v1');
    const key = baseName(home, 4242);
    expect(r.memory).toMatchObject({ enforced: true, limit: 64, reason: `cgroup v1 (${root}/memory/svc/${key})` });
    expect(r.cpu.reason).toBe(`cgroup v1 (${root}/cpu,cpuacct/${key})`);
    const groups = cg.groupFor('ctr_abc') ?? [];
    expect(groups).toEqual([
      `${root}/memory/svc/${key}/ctr_abc`,
      `${root}/pids/${key}/ctr_abc`,
      `${root}/cpu,cpuacct/${key}/ctr_abc`,
    ]);
    const read = (dir: string, file: string) => readFileSync(path.join(dir, file), 'utf8');
    expect(read(groups[0] as string, 'memory.limit_in_bytes')).toBe(String(64 * 1024 * 1024));
    expect(read(groups[1] as string, 'pids.max')).toBe(String(20 + SANDBOX_OWN_TASKS));
    expect(read(groups[2] as string, 'cpu.cfs_quota_us')).toBe('150000');
    expect(() => cg.groupFor('../escape')).toThrow(/not a container id/);
  });

  it('on a v2 host, enables the controllers and writes memory.max, pids.max and cpu.max', async () => {
    const root = await temp();
    const home = await temp();
    const key = baseName(home, 7);
    mkdirSync(path.join(root, key), { recursive: true });
    writeFileSync(path.join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    writeFileSync(path.join(root, 'cgroup.subtree_control'), '');
    writeFileSync(path.join(root, key, 'cgroup.subtree_control'), '');
    const cg = detectCgroups(settings(home, 128, 0, 0.5), {
      mountinfo: `30 25 0:26 / ${root} rw - cgroup2 cgroup2 rw`,
      selfCgroup: '0::/system.slice/disco.service\n',
      isRoot: true,
      pid: 7,
    });
    const r = cg.report();
    expect(r.version).toBe('v2');
    expect(r.pids).toMatchObject({ enforced: false, limit: 0, reason: 'no limit set (DISCO_CONTAINER_PIDS=0)' });
    expect(readFileSync(path.join(root, key, 'cgroup.subtree_control'), 'utf8')).toBe('+memory +cpu');
    const [dir] = cg.groupFor('ctr_v2') ?? [];
    expect(readFileSync(path.join(dir as string, 'memory.max'), 'utf8')).toBe(String(128 * 1024 * 1024));
    expect(readFileSync(path.join(dir as string, 'cpu.max'), 'utf8')).toBe('50000 100000');
  });

  it('says why not when no hierarchy has the controllers, and joins nothing', async () => {
    const cg = detectCgroups(settings(await temp()), {
      mountinfo: '40 25 8:1 / / rw - ext4 /dev/sda1 rw',
      selfCgroup: '',
      isRoot: false,
      pid: 9,
    });
    expect(cg.report()).toMatchObject({
      version: 'none',
      memory: { enforced: false, reason: 'no cgroup hierarchy with the memory controller is mounted' },
    });
    expect(cg.groupFor('ctr_x')).toBeUndefined();
  });
});

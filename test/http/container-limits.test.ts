import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/daemon/config.js';
import { checkContainerLimits } from '../../src/daemon/doctor/checks.js';
import { SANDBOX_OWN_TASKS } from '../../src/daemon/sandbox/cgroups.js';
import { detectCgroups } from '../../src/daemon/sandbox/cgroups-detect.js';
import { startTestDaemon, type TestDaemon, tempDir } from '../helpers/daemon.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

const ENV = { DISCO_CONTAINER_PIDS: '20', DISCO_CONTAINER_MEMORY_MB: '64', DISCO_CONTAINER_CPUS: '0.5' };

/** Whether this host lets a daemon enforce the limits (root with writable cgroups: CI is). */
async function cgroupsUsable(): Promise<boolean> {
  const home = await tempDir();
  const cg = detectCgroups({ containerMemoryMb: 64, containerPids: 20, containerCpus: 0.5, home });
  const r = cg.report();
  await cg.shutdown();
  await rm(home, { recursive: true, force: true });
  return r.memory.enforced && r.pids.enforced && r.cpu.enforced;
}

const usable = await cgroupsUsable();
const enforced = requireSystem('per-container cgroup limits (a root daemon with writable cgroups)', usable);
const hasBwrap = requireSystem('bubblewrap', hasCommand('bwrap', ['--version']));

let t: TestDaemon;
const run = async (container: string, command: string, extra: Record<string, unknown> = {}) =>
  (await t.json('POST', '/api/v1/terminal/execute', { container, command, shell: true, timeoutMs: 30_000, ...extra }))
    .body;

beforeAll(async () => {
  t = await startTestDaemon(ENV);
  await t.json('POST', '/api/v1/containers', { name: 'small' });
});
afterAll(async () => {
  await t?.stop();
});

describe.runIf(enforced)('per-container limits on a host that enforces them', () => {
  it('are reported as enforced by /health, /capabilities and disco doctor', async () => {
    const health = (await t.json('GET', '/health')).body.checks.containerLimits;
    expect(health).toMatchObject({
      memory: { enforced: true, limit: 64 },
      pids: { enforced: true, limit: 20 },
      cpu: { enforced: true, limit: 0.5 },
    });
    expect(health.version).toMatch(/^v[12]$/);
    const caps = (await t.json('GET', '/capabilities')).body.sandbox.containerLimits;
    expect(caps).toEqual(health);
    const home = await tempDir();
    try {
      const check = await checkContainerLimits(loadConfig({ DISCO_HOME: home, ...ENV }));
      expect(check).toMatchObject({ name: 'container-limits', status: 'ok' });
      expect(check.detail).toMatch(/memory 64 enforced; pids 20 enforced; cpu 0.5 enforced/);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it.runIf(hasBwrap)('pids: a container cannot fork 100 processes, across its commands together', async () => {
    // Builtins only after each fork (a failed fork ends the shell): the count file says how far it got.
    const spawn = (n: number, file: string) =>
      `i=0; while [ $i -lt ${n} ]; do sleep 10 & i=$((i+1)); echo $i > ${file}; done; wait`;
    const stopped = async () => (await t.json('POST', '/api/v1/containers/small/stop')).status;
    await run('small', spawn(100, 'one'));
    expect(await stopped()).toBe(200); // ends what still sleeps, with the container's groups
    const one = Number((await run('small', 'cat one')).stdout.trim());
    expect(one).toBeGreaterThan(5);
    expect(one).toBeLessThan(20 + SANDBOX_OWN_TASKS);

    // A background command holds most of the budget; a second command of the same container gets the rest.
    await run('small', spawn(14, 'held'), { background: true });
    await new Promise((r) => setTimeout(r, 500));
    await run('small', spawn(40, 'two'));
    expect(await stopped()).toBe(200);
    const held = Number((await run('small', 'cat held')).stdout.trim());
    const two = Number((await run('small', 'cat two')).stdout.trim());
    expect(held).toBe(14);
    expect(two).toBeLessThan(40);
    expect(held + two).toBeLessThan(20 + SANDBOX_OWN_TASKS);
  });

  it.runIf(hasBwrap)('cannot leave its groups: the cgroup file system is not there to write to', async () => {
    const r = await run(
      'small',
      'for f in /sys/fs/cgroup/cgroup.procs /sys/fs/cgroup/pids/cgroup.procs; do (echo $$ > $f) 2>/dev/null && echo "moved via $f"; done; ls /sys/fs/cgroup 2>&1 | head -3',
    );
    expect(r.stdout).not.toMatch(/moved via/);
    expect(r.stdout).toMatch(/No such file or directory|cannot access/);
  });

  it.runIf(hasBwrap)('memory: a process allocating 200 MB in a 64 MB container is killed', async () => {
    const r = await run(
      'small',
      `node -e "const a=[];for(let i=0;i<200;i++)a.push(Buffer.alloc(1<<20,1));console.log('survived')"`,
    );
    expect(r.stdout).not.toMatch(/survived/);
    expect(r.signal === 'SIGKILL' || r.exitCode === 137).toBe(true);
    expect((await run('small', 'echo still-usable')).stdout).toBe('still-usable\n');
  });

  it.runIf(hasBwrap)('cpu: a busy loop gets about half a CPU', async () => {
    const r = await run(
      'small',
      `node -e "const s=Date.now();while(Date.now()-s<1500);console.log(Math.round(process.cpuUsage().user/1000))"`,
    );
    expect(Number(r.stdout.trim())).toBeLessThan(1500 * 0.5 + 350);
  });

  it.runIf(hasBwrap)("removes the container's groups with the container", async () => {
    await t.json('POST', '/api/v1/containers', { name: 'gone' });
    const id = (await t.json('GET', '/api/v1/containers/gone')).body.id;
    await run('gone', 'true');
    const report = (await t.json('GET', '/health')).body.checks.containerLimits;
    const dirs = (['memory', 'pids', 'cpu'] as const).map((n) =>
      path.join(/\((.+)\)$/.exec(report[n].reason)?.[1] ?? '', id),
    );
    for (const d of dirs) expect(existsSync(d), d).toBe(true);
    await t.json('DELETE', '/api/v1/containers/gone');
    for (let i = 0; i < 50 && dirs.some((d) => existsSync(d)); i++) await new Promise((r) => setTimeout(r, 50));
    for (const d of dirs) expect(existsSync(d), d).toBe(false);
  });
});

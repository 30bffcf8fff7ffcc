import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DiscoError } from '../../src/daemon/errors.js';
import { DiskBudget, duBytes, ReserveWatch } from '../../src/daemon/workspace/disk-budget.js';
import { tempDir } from '../helpers/daemon.js';

const MiB = 1024 * 1024;
const refusal = async (p: Promise<void>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  return err instanceof DiscoError ? { code: err.code, status: err.status, details: err.details } : err;
};

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('DiskBudget', () => {
  it('refuses a write that would cut into the reserve with a typed no_space', async () => {
    const budget = new DiskBudget({ reserveBytes: 64 * MiB, quotaBytes: 0, freeBytes: async () => 65 * MiB });
    await expect(budget.check('/w', MiB / 2)).resolves.toBeUndefined();
    expect(await refusal(budget.check('/w', 2 * MiB))).toEqual({
      code: 'no_space',
      status: 507,
      details: { freeBytes: 65 * MiB, reserveBytes: 64 * MiB },
    });
  });

  it('with no reserve, leaves a full disk to the write itself', async () => {
    const budget = new DiskBudget({ reserveBytes: 0, quotaBytes: 0, freeBytes: async () => 0 });
    await expect(budget.check('/w', MiB)).resolves.toBeUndefined();
  });

  it('measures usage off the request path and refuses writes past the quota', async () => {
    let measured = 0;
    let sizeNow = 9 * MiB;
    const budget = new DiskBudget({
      reserveBytes: 0,
      quotaBytes: 10 * MiB,
      freeBytes: async () => 1024 * MiB,
      measure: async () => {
        measured++;
        return sizeNow;
      },
    });
    // Not yet measured: let through while the measurement runs.
    await expect(budget.check('/w', 5 * MiB)).resolves.toBeUndefined();
    await budget.settle('/w');
    expect(measured).toBe(1);
    await expect(budget.check('/w', MiB / 2)).resolves.toBeUndefined();
    budget.wrote('/w', MiB / 2);
    expect(await refusal(budget.check('/w', MiB))).toMatchObject({
      code: 'no_space',
      details: { usedBytes: 9.5 * MiB, quotaBytes: 10 * MiB },
    });
    expect(measured).toBe(1); // fresh: no walk per write
    // After a delete the estimate holds until a new measurement replaces it.
    sizeNow = 2 * MiB;
    budget.invalidate('/w');
    expect(await refusal(budget.check('/w', MiB))).toMatchObject({ code: 'no_space' });
    await budget.settle('/w');
    expect(measured).toBe(2);
    await expect(budget.check('/w', MiB)).resolves.toBeUndefined();
  });

  it('never remembers more workspaces than its bound, forgetting the least recently written', async () => {
    const measured: string[] = [];
    const budget = new DiskBudget({
      reserveBytes: 0,
      quotaBytes: 10 * MiB,
      maxTracked: 3,
      freeBytes: async () => 1024 * MiB,
      measure: async (root) => {
        measured.push(root);
        return 0;
      },
    });
    for (let i = 0; i < 20; i++) {
      await budget.check(`/w${i}`, 1);
      await budget.check('/kept', 1); // written all along: stays
      expect(budget.tracked).toBeLessThanOrEqual(3);
    }
    await budget.settle('/kept');
    const keptMeasured = measured.filter((r) => r === '/kept').length;
    await budget.check('/kept', 1);
    expect(measured.filter((r) => r === '/kept').length).toBe(keptMeasured); // still remembered: no new walk
    await budget.check('/w0', 1); // forgotten long ago: measured again
    expect(measured.filter((r) => r === '/w0')).toHaveLength(2);
  });

  it('counts a workspace with du', async () => {
    dir = await tempDir('disco-du-');
    await mkdir(path.join(dir, 'sub'));
    await writeFile(path.join(dir, 'sub', 'f'), Buffer.alloc(256 * 1024, 1));
    expect(await duBytes(dir)).toBeGreaterThanOrEqual(256 * 1024);
  });

  it('watches the reserve for hot paths without a statfs per call', async () => {
    let free = 100 * MiB;
    let calls = 0;
    const watch = await new ReserveWatch('/h', 64 * MiB, 10, async () => {
      calls++;
      return free;
    }).start();
    try {
      expect(watch.belowReserve).toBe(false);
      free = 10 * MiB;
      const before = calls;
      for (let i = 0; i < 1000; i++) void watch.belowReserve;
      expect(calls).toBe(before);
      await new Promise((r) => setTimeout(r, 50));
      expect(watch.belowReserve).toBe(true);
    } finally {
      watch.stop();
    }
    expect((await new ReserveWatch('/h', 0, 10, async () => 0).start()).belowReserve).toBe(false);
  });
});

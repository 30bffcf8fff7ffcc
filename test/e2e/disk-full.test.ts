import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disco } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon, tempDir } from '../helpers/daemon.js';
import { requireSystem } from '../helpers/system.js';

/** Mounting a small tmpfs needs root (and CAP_SYS_ADMIN): probed by mounting one. */
function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = mkdtempSync(path.join(os.tmpdir(), 'disco-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}
const runs = requireSystem('root and mount(8) for a small tmpfs', canMount());

let t: TestDaemon;
let mnt: string;
const X = '/api/v1/terminal/execute';
const C = '/api/v1/containers/full';

beforeAll(async () => {
  if (!runs) return;
  mnt = await tempDir('disco-disk-full-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=60m', 'tmpfs', mnt]);
  t = await startTestDaemon({
    DISCO_HOME: path.join(mnt, 'home'),
    // No reserve: writes reach the full file system and must turn its ENOSPC into no_space themselves.
    DISCO_DISK_RESERVE_MB: '0',
    DISCO_EXEC_TIMEOUT_MS: '20000',
  });
  await t.json('POST', '/api/v1/containers', { name: 'full' });
  await t.json('PUT', `${C}/files/content`, { path: 'keep.txt', content: 'kept' });
});
afterAll(async () => {
  if (!runs) return;
  try {
    await t?.stop();
  } finally {
    execFileSync('umount', ['-l', mnt]);
    await rm(mnt, { recursive: true, force: true });
  }
});

/** Polls an async check until it holds or `ms` pass. */
async function eventually(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const exec = (body: Record<string, unknown>) => t.json('POST', X, { container: 'full', ...body });
const fill = 'dd if=/dev/zero of=big bs=1M count=200; echo filled; for i in $(seq 1 2000); do echo out $i; done';

/** The daemon survives, reads work, writes answer no_space; after `big` is gone writes work again. */
async function expectSurvivesAndRecovers() {
  expect((await t.json('GET', '/health')).status).toBe(200);
  const read = await t.json('GET', `${C}/files/content?path=keep.txt`);
  expect(read.body.content).toBe('kept');
  const write = await t.json('PUT', `${C}/files/content`, { path: 'new.txt', content: 'x'.repeat(8192) });
  expect(write.status).toBe(507);
  expect(write.body.error.code).toBe('no_space');
  expect(JSON.stringify(write.body)).not.toMatch(/ENOSPC|at .*\.js/);
  const ready = await t.json('GET', '/ready');
  expect(ready.body.checks.disk).toMatchObject({ ok: false, freeBytes: expect.any(Number) });

  expect((await exec({ command: ['rm', '-f', 'big'] })).body.exitCode).toBe(0);
  await eventually(
    async () => (await t.json('PUT', `${C}/files/content`, { path: 'new.txt', content: 'ok' })).status === 200,
  );
  expect((await t.json('GET', `${C}/files/content?path=new.txt`)).body.content).toBe('ok');
}

describe.runIf(runs)('a full file system under $DISCO_HOME', () => {
  it('survives dd filling the disk in a foreground exec, answers no_space to writes and recovers', async () => {
    const r = await exec({ command: fill, shell: true });
    expect(r.status).toBe(200);
    expect(r.body.stdout).toContain('filled');
    await expectSurvivesAndRecovers();
  });

  it('survives dd filling the disk in a background process; its output log keeps a marker, not a crash', async () => {
    const r = await exec({ command: fill, shell: true, background: true });
    const id = r.body.processId as string;
    let page: { body: { running: boolean; records: { text: string }[] } } | undefined;
    await eventually(async () => {
      page = await t.json('GET', `/api/v1/terminal/processes/${id}/output?offset=0`);
      return page?.body.running === false;
    }, 30_000);
    const text = page?.body.records.map((x) => x.text).join('') ?? '';
    expect(text).toMatch(/disco: output dropped: no space left on the device/);
    await expectSurvivesAndRecovers();
  });

  it('answers no_space, not a 500, when creating a container (database row and directory) hits the full disk', async () => {
    expect((await exec({ command: 'dd if=/dev/zero of=big bs=1M count=200', shell: true })).status).toBe(200);
    let failed: { status: number; body: { error?: { code: string } } } | undefined;
    // Each container takes a database row and a directory; keep creating until the disk says no.
    for (let i = 0; i < 50 && !failed; i++) {
      const r = await t.json('POST', '/api/v1/containers', { name: `more-${i}` });
      if (r.status !== 201 && r.status !== 200) failed = r;
    }
    expect(failed?.status).toBe(507);
    expect(failed?.body.error?.code).toBe('no_space');
    expect((await t.json('GET', '/health')).status).toBe(200);
    expect((await exec({ command: ['rm', '-f', 'big'] })).body.exitCode).toBe(0);
    const again = await t.json('POST', '/api/v1/containers', { name: 'after' });
    expect([200, 201]).toContain(again.status);
  });

  it('shows the full disk in /ready and disco doctor', async () => {
    expect((await exec({ command: 'dd if=/dev/zero of=big bs=1M count=200', shell: true })).status).toBe(200);
    try {
      const ready = await t.json('GET', '/ready');
      expect(ready.body.checks.disk).toMatchObject({
        ok: false,
        freeBytes: expect.any(Number),
        containersFreeBytes: expect.any(Number),
        reserveBytes: 0,
      });
      expect(ready.body.checks.disk.freeBytes).toBeLessThan(1024 * 1024);
      const r = await disco(['doctor', '--json', '--offline'], {
        DISCO_HOME: path.join(mnt, 'home'),
        DISCO_DISK_RESERVE_MB: '8',
      });
      const disk = JSON.parse(r.stdout).checks.find((c: { name: string }) => c.name === 'disk');
      expect(disk).toMatchObject({ status: 'fail', detail: expect.stringContaining('free for workspaces') });
      expect(disk.fix).toMatch(/no_space|DISCO_MIN_FREE_DISK_MB/);
    } finally {
      expect((await exec({ command: ['rm', '-f', 'big'] })).body.exitCode).toBe(0);
    }
  });

  it('keeps DISCO_DISK_RESERVE_MB free for the daemon: container writes below it answer no_space', async () => {
    const reserved = await startTestDaemon({ DISCO_HOME: path.join(mnt, 'reserved'), DISCO_DISK_RESERVE_MB: '60' });
    try {
      await reserved.json('POST', '/api/v1/containers', { name: 'r' });
      const w = await reserved.json('PUT', '/api/v1/containers/r/files/content', { path: 'a', content: 'x' });
      expect(w.status).toBe(507);
      expect(w.body.error).toMatchObject({
        code: 'no_space',
        details: { reserveBytes: 60 * 1024 * 1024, freeBytes: expect.any(Number) },
      });
      // Process output is a write for the container too: dropped with a marker rather than stored.
      const run = await reserved.json('POST', X, { container: 'r', command: ['echo', 'hello'] });
      const out = await reserved.json('GET', `/api/v1/terminal/processes/${run.body.processId}/output?offset=0`);
      expect(out.body.records.map((r: { text: string }) => r.text).join('')).toMatch(
        /output dropped: the disk is below the daemon reserve/,
      );
      const ready = await reserved.json('GET', '/ready');
      expect(ready.body.checks.disk).toMatchObject({ reserveBytes: 60 * 1024 * 1024, refusingWrites: true });
    } finally {
      await reserved.stop();
    }
  });

  it('let nothing escape to the process-wide guard', async () => {
    const metric = await t.daemon.metrics.registry.getSingleMetric('disco_uncaught_errors_total')?.get();
    expect(metric?.values.filter((v) => v.value > 0)).toEqual([]);
  });

  it('keeps SQLite consistent', async () => {
    const db = new Database(path.join(mnt, 'home', 'disco.db'), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
  });
});

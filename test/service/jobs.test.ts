import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobsRepo } from '../../src/daemon/db/jobs-repo.js';
import { type Db, openDatabase } from '../../src/daemon/db/open.js';
import { ProcessesRepo } from '../../src/daemon/db/processes-repo.js';
import { storeHooks } from '../../src/daemon/jobs/hooks.js';
import { buildJobs, idleSweepEveryMs, type Job } from '../../src/daemon/jobs/jobs.js';
import { JOBS_LEASE, JobRunner } from '../../src/daemon/jobs/runner.js';
import { tempDir } from '../helpers/daemon.js';

const log = pino({ level: 'silent' });
let dir: string;
let db: Db;
let repo: JobsRepo;
beforeEach(async () => {
  dir = await tempDir('disco-jobs-');
  db = openDatabase(path.join(dir, 'disco.db'));
  repo = new JobsRepo(db);
});
afterEach(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});

const claim = (holder: string, priority = 1, ttlMs = 1000) => ({
  name: JOBS_LEASE,
  holder,
  kind: 'test',
  priority,
  ttlMs,
});

describe('the job lease', () => {
  it('has one holder at a time, renewable by it, free again after its TTL or release', () => {
    expect(repo.acquire(claim('a'), 1000)).toBe(true);
    expect(repo.acquire(claim('b'), 1500)).toBe(false);
    expect(repo.acquire(claim('a'), 1800)).toBe(true); // renewed until 2800
    expect(repo.acquire(claim('b'), 2500)).toBe(false);
    expect(repo.lease(JOBS_LEASE)).toMatchObject({ holder: 'a', acquiredAt: 1000, expiresAt: 2800 });
    expect(repo.acquire(claim('b'), 2800)).toBe(true); // a stopped renewing
    expect(repo.lease(JOBS_LEASE)).toMatchObject({ holder: 'b', acquiredAt: 2800 });
    expect(repo.release(JOBS_LEASE, 'a')).toBe(false); // not a's to give back
    expect(repo.release(JOBS_LEASE, 'b')).toBe(true);
    expect(repo.acquire(claim('a'), 2900)).toBe(true);
  });

  it('is taken by a higher priority (a worker) from a lower one (a daemon running jobs in-process)', () => {
    expect(repo.acquire(claim('daemon', 0), 1000)).toBe(true);
    expect(repo.acquire(claim('worker', 1), 1100)).toBe(true);
    expect(repo.acquire(claim('daemon', 0), 1200)).toBe(false);
    expect(repo.acquire(claim('worker-2', 1), 1300)).toBe(false); // equal priority waits
  });

  it('reopening a migrated database applies nothing again (migration 7 holds the lease tables)', () => {
    const again = openDatabase(path.join(dir, 'disco.db'));
    const versions = again.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
    expect(versions).toContain(7);
    again.close();
  });
});

describe('JobRunner', () => {
  const counting = (name: string, everyMs: number, calls: string[], fail = false): Job => ({
    name,
    description: name,
    everyMs,
    run: async () => {
      calls.push(name);
      if (fail) throw new Error(`${name} broke`);
      return { n: calls.length };
    },
  });

  it('runs due jobs only while holding the lease, records and reports each run, and skips disabled ones', async () => {
    const calls: string[] = [];
    const seen: string[] = [];
    const jobs: Job[] = [
      counting('often', 0, calls),
      counting('rarely', 3_600_000, calls),
      counting('broken', 0, calls, true),
      { name: 'off', description: 'off', everyMs: 0, disabled: 'not in this build' },
    ];
    const runner = new JobRunner(
      repo,
      jobs,
      { kind: 'daemon', tickMs: 10_000, leaseTtlMs: 30_000, onRun: (j, ok) => seen.push(`${j}:${ok}`) },
      log,
    );
    const first = await runner.tick();
    expect(first.map((r) => [r.job, r.ok])).toEqual([
      ['often', true],
      ['rarely', true],
      ['broken', false],
    ]);
    expect(first[2]?.error).toBe('broken broke');
    expect(seen).toEqual(['often:true', 'rarely:true', 'broken:false']);
    expect((await runner.tick()).map((r) => r.job)).toEqual(['often', 'broken']); // `rarely` is not due
    expect((await runner.tick({ all: true })).map((r) => r.job)).toEqual(['often', 'rarely', 'broken']);
    expect(repo.lastRun('often')).toMatchObject({ ok: true, runs: 3, holder: runner.holder });
    expect(repo.lastRun('broken')).toMatchObject({ ok: false, summary: JSON.stringify({ error: 'broken broke' }) });
    expect(repo.lastRun('off')).toBeUndefined();

    const worker = new JobRunner(repo, jobs, { kind: 'worker', tickMs: 10_000, leaseTtlMs: 30_000 }, log);
    expect((await worker.tick()).map((r) => r.job)).toEqual(['often', 'broken']); // took the lease over
    expect(await runner.tick()).toEqual([]); // the daemon yields while the worker holds it
    await worker.stop(); // gives the lease back at once
    expect((await runner.tick()).length).toBeGreaterThan(0);
    await runner.stop();
    expect(repo.lease(JOBS_LEASE)).toBeUndefined();
  });

  it('with firstTickMs, takes the lease at start but runs the first due jobs only after that delay', async () => {
    const calls: string[] = [];
    const runner = new JobRunner(
      repo,
      [counting('often', 0, calls)],
      { kind: 'daemon', tickMs: 10_000, leaseTtlMs: 30_000, firstTickMs: 150 },
      log,
    );
    runner.start();
    expect(runner.holdsLease).toBe(true);
    expect(repo.lease(JOBS_LEASE)).toMatchObject({ holder: runner.holder });
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toEqual([]);
    const deadline = Date.now() + 5_000;
    while (calls.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(calls).toEqual(['often']);
    await runner.stop();
    expect(repo.lease(JOBS_LEASE)).toBeUndefined();
  });

  it('stopped before its first tick, never runs a job', async () => {
    const calls: string[] = [];
    const runner = new JobRunner(
      repo,
      [counting('often', 0, calls)],
      { kind: 'daemon', tickMs: 10_000, leaseTtlMs: 30_000, firstTickMs: 100 },
      log,
    );
    runner.start();
    await runner.stop();
    await new Promise((r) => setTimeout(r, 200));
    expect(calls).toEqual([]);
  });

  it('lists every job of the registry; hooks the identity and search work fill in start disabled', async () => {
    const jobs = buildJobs({
      reaper: { sweep: async () => ({ stopped: [], deleted: [] }) } as never,
      repo,
      idleEveryMs: 1000,
    });
    expect(jobs.map((j) => j.name)).toEqual([
      'idle-containers',
      'sqlite-maintenance',
      'audit-log-retention',
      'credential-purge',
      'process-history-retention',
      'reindex-queued',
    ]);
    expect(jobs.filter((j) => j.disabled).map((j) => j.name)).toEqual([
      'audit-log-retention',
      'credential-purge',
      'process-history-retention',
      'reindex-queued',
    ]);
    const maintenance = await jobs[1]?.run?.(Date.now());
    expect(maintenance).toMatchObject({ checkpoint: { busy: 0 } });

    const hooked = buildJobs({
      reaper: {} as never,
      repo,
      idleEveryMs: 0,
      hooks: { pruneAuditLog: () => 3, purgeExpiredCredentials: () => 2 },
    });
    expect(hooked[0]?.disabled).toBe('DISCO_IDLE_STOP_MINUTES=0');
    expect(await hooked[2]?.run?.(Date.now())).toEqual({ deleted: 3 });
    expect(await hooked[3]?.run?.(Date.now())).toEqual({ deleted: 2 });
  });

  it("forgets finished processes beyond each container's newest, with their output logs, never a running one", async () => {
    const processes = new ProcessesRepo(db);
    const logDir = path.join(dir, 'process-logs');
    await mkdir(logDir);
    const add = (id: string, containerId: string, startedAt: number, finished: boolean) => {
      processes.insert({ id, containerId, ownerId: 'u', command: ['true'], shell: false, cwd: '/', pid: 1, startedAt });
      if (finished) processes.finish(id, 'exited', 0, null, startedAt + 1);
    };
    for (let i = 0; i < 8; i++) add(`proc_a${i}`, 'ctr_a', 1000 + i, true);
    add('proc_arun', 'ctr_a', 1, false); // the oldest, but still running
    for (let i = 0; i < 3; i++) add(`proc_b${i}`, 'ctr_b', 1000 + i, true);
    for (const id of ['proc_a0', 'proc_a7', 'proc_arun']) await writeFile(path.join(logDir, `${id}.0.log`), 'x');

    const job = buildJobs({
      reaper: {} as never,
      repo,
      idleEveryMs: 0,
      processHistoryKeep: 5,
      hooks: storeHooks(db, logDir),
    });
    expect(await job.find((j) => j.name === 'process-history-retention')?.run?.(Date.now())).toEqual({ deleted: 3 });
    expect(
      processes
        .listByContainer('ctr_a', 100)
        .map((p) => p.id)
        .sort(),
    ).toEqual(['proc_a3', 'proc_a4', 'proc_a5', 'proc_a6', 'proc_a7', 'proc_arun'].sort());
    expect(processes.listByContainer('ctr_b', 100)).toHaveLength(3);
    expect((await readdir(logDir)).sort()).toEqual(['proc_a7.0.log', 'proc_arun.0.log']);
  });

  it('sweeps for idle containers at a quarter of the stop TTL, between 1 s and 1 min', () => {
    expect(idleSweepEveryMs(0)).toBe(0);
    expect(idleSweepEveryMs(60)).toBe(60_000);
    expect(idleSweepEveryMs(2)).toBe(30_000);
    expect(idleSweepEveryMs(0.001)).toBe(1000);
  });
});

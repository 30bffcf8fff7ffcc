import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { DestinationStream } from 'pino';
import type { Config } from './config.js';
import { IdleReaper, type InUseCheck } from './containers/idle-reaper.js';
import { ContainerService } from './containers/service.js';
import { DB_FILE } from './core.js';
import { ContainersRepo } from './db/containers-repo.js';
import { JobsRepo } from './db/jobs-repo.js';
import { type Db, openDatabase } from './db/open.js';
import { ProcessesRepo } from './db/processes-repo.js';
import { storeHooks } from './jobs/hooks.js';
import { buildJobs, idleSweepEveryMs, type JobHooks } from './jobs/jobs.js';
import { type JobReport, JobRunner } from './jobs/runner.js';
import { createLogger, type Logger } from './log.js';
import { killContainerPids, processAlive, runsForContainer } from './workspace/container-pids.js';
import { processLogDir, removeProcessLogs } from './workspace/output-log.js';
import { ProcessTable } from './workspace/process-table.js';

export interface Worker {
  runner: JobRunner;
  log: Logger;
  db: Db;
  /** Runs every runnable job once now, if the lease can be had; `disco worker --once`. */
  runOnce(): Promise<{ leaseHeld: boolean; reports: JobReport[] }>;
  /** Stops ticking, gives the lease back, closes the database. */
  close(): Promise<void>;
}

export interface WorkerOptions {
  logDestination?: DestinationStream;
  hooks?: JobHooks;
  tickMs?: number;
  leaseTtlMs?: number;
}

/**
 * In use, as seen from outside the daemon: a foreground process the database records as running, whose
 * daemon is alive and whose pid still carries the container's id (a background command alone is not use,
 * as in the daemon). The rest of the daemon's use (commands in a sandbox, terminal clients, pages, preview
 * sockets) keeps the container's last-used time fresh instead: the daemon marks it (`containersInUse`).
 */
function inUseByRecords(processes: ProcessesRepo): InUseCheck {
  return (id) =>
    processes
      .listRunning()
      .some(
        (p) =>
          p.containerId === id &&
          !p.background &&
          p.pid !== null &&
          (p.daemonPid === null || processAlive(p.daemonPid)) &&
          runsForContainer(p.pid, id),
      );
}

/**
 * `disco worker`: the background jobs in their own process, on the same $DISCO_HOME as `disco serve`.
 *
 * Container processes are children of the daemon, not of the worker. So the worker never needs the
 * daemon's memory: it decides from SQLite (last use, status, pin, running process records), ends a
 * container's processes by pid after checking each one's environment names that container (as the
 * daemon's crash reconcile does), and changes rows and directories. The daemon notices at its next use
 * of the container (its cache re-reads the row) and drops what it still remembers.
 */
export async function startWorker(config: Config, options: WorkerOptions = {}): Promise<Worker> {
  const log = createLogger(config.logLevel, options.logDestination).child({ role: 'worker' });
  await mkdir(config.home, { recursive: true, mode: 0o700 });
  const db = openDatabase(path.join(config.home, DB_FILE));
  const processes = new ProcessesRepo(db);
  const logDir = processLogDir(config.home);
  // No init(): reconciling directories is the daemon's job at its start, and must not race its creates.
  const containers = new ContainerService(new ContainersRepo(db), config.containersDir, new ProcessTable(), log);
  const pendingLogRemovals: Promise<void>[] = [];
  containers.onLifecycle((id, event) => {
    const killed = killContainerPids(id);
    if (killed > 0) log.info({ containerId: id, killed, event }, 'container processes ended');
    if (event === 'delete') {
      pendingLogRemovals.push(removeProcessLogs(logDir, processes.idsOfContainer(id)));
      processes.removeContainer(id);
    }
  });
  const reaper = new IdleReaper(
    containers,
    inUseByRecords(processes),
    { stopAfterMs: config.idleStopMinutes * 60_000, deleteAfterMs: config.idleDeleteHours * 3_600_000 },
    log,
  );
  const repo = new JobsRepo(db);
  const jobs = buildJobs({
    reaper,
    repo,
    idleEveryMs: idleSweepEveryMs(config.idleStopMinutes),
    hooks: options.hooks ?? storeHooks(db, logDir),
  });
  const runner = new JobRunner(
    repo,
    jobs,
    { kind: 'worker', tickMs: options.tickMs ?? 5_000, leaseTtlMs: options.leaseTtlMs ?? 30_000 },
    log,
  );
  log.info({ home: config.home, holder: runner.holder, jobs: jobs.map((j) => j.name) }, 'disco worker started');
  let closed = false;
  return {
    runner,
    log,
    db,
    runOnce: async () => {
      const reports = await runner.tick({ all: true });
      await Promise.all(pendingLogRemovals.splice(0));
      return { leaseHeld: runner.holdsLease, reports };
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await runner.stop();
      await Promise.all(pendingLogRemovals.splice(0));
      db.close();
      log.info('disco worker stopped');
      await new Promise<void>((resolve) => log.flush(() => resolve()));
    },
  };
}

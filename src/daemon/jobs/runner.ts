import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { JobsRepo } from '../db/jobs-repo.js';
import type { Logger } from '../log.js';
import type { Job } from './jobs.js';

export const JOBS_LEASE = 'jobs';

export interface RunnerOptions {
  /** `worker` (disco worker) outranks `daemon` (jobs in-process while no worker runs). */
  kind: 'worker' | 'daemon';
  /** How often the lease is renewed and due jobs are looked for. */
  tickMs: number;
  /** A holder that stops renewing loses the lease after this long. */
  leaseTtlMs: number;
  /** Told about each run (metrics). */
  onRun?: (job: string, ok: boolean) => void;
  /**
   * When the first due jobs run after `start` (default 0: at once). The lease is still claimed at once.
   * Perf: the daemon's first jobs (SQLite's `PRAGMA optimize` above all, tens of ms) would otherwise run
   * between listening and answering its first request.
   */
  firstTickMs?: number;
}

export interface JobReport {
  job: string;
  ok: boolean;
  ms: number;
  result?: Record<string, unknown>;
  error?: string;
}

const PRIORITY = { daemon: 0, worker: 1 } as const;

/**
 * Runs the job registry while holding the one lease of this database, so jobs run in one process at a
 * time: `disco worker` when there is one, else the daemon itself. A job is due when its last run (by
 * any holder, recorded in SQLite) is older than its interval; each run is logged and recorded.
 */
export class JobRunner {
  readonly holder = `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private timer: NodeJS.Timeout | undefined;
  private firstTimer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private held = false;
  private stopped = false;

  constructor(
    private readonly repo: JobsRepo,
    readonly jobs: readonly Job[],
    private readonly options: RunnerOptions,
    private readonly log: Logger,
  ) {}

  get holdsLease(): boolean {
    return this.held;
  }

  /** Takes or renews the lease; logs when it changes hands. */
  claim(now = Date.now()): boolean {
    const held = this.repo.acquire(
      {
        name: JOBS_LEASE,
        holder: this.holder,
        kind: this.options.kind,
        priority: PRIORITY[this.options.kind],
        ttlMs: this.options.leaseTtlMs,
      },
      now,
    );
    if (held !== this.held) {
      const other = held ? undefined : this.repo.lease(JOBS_LEASE);
      this.log.info(
        {
          holder: this.holder,
          kind: this.options.kind,
          ...(other ? { heldBy: other.holder, heldByKind: other.kind } : {}),
        },
        held ? 'job lease acquired' : 'job lease held elsewhere',
      );
      this.held = held;
    }
    return held;
  }

  /** Runs the jobs that are due (all runnable ones with `all`), if this process holds the lease. */
  async tick(options: { all?: boolean } = {}): Promise<JobReport[]> {
    const reports: JobReport[] = [];
    if (this.stopped || !this.claim()) return reports;
    for (const job of this.jobs) {
      if (!job.run || this.stopped) continue;
      const now = Date.now();
      const last = this.repo.lastRun(job.name);
      if (!options.all && last && now - last.startedAt < job.everyMs) continue;
      // Renew before each job: another holder may have taken over while the previous one ran.
      if (!this.claim(now)) break;
      reports.push(await this.runJob(job, now));
    }
    return reports;
  }

  private async runJob(job: Job, now: number): Promise<JobReport> {
    this.repo.jobStarted(job.name, this.holder, now);
    const started = performance.now();
    try {
      const result = (await job.run?.(now)) ?? {};
      const ms = Math.round(performance.now() - started);
      this.repo.jobFinished(job.name, true, result, Date.now());
      this.log.info({ job: job.name, ms, result, holder: this.holder }, 'job done');
      this.options.onRun?.(job.name, true);
      return { job: job.name, ok: true, ms, result };
    } catch (err) {
      const ms = Math.round(performance.now() - started);
      const error = (err as Error).message;
      this.repo.jobFinished(job.name, false, { error }, Date.now());
      this.log.error({ job: job.name, ms, err, holder: this.holder }, 'job failed');
      this.options.onRun?.(job.name, false);
      return { job: job.name, ok: false, ms, error };
    }
  }

  /** Ticks every `tickMs` (one tick at a time) until stopped. */
  start(): void {
    if (this.timer) return;
    for (const job of this.jobs) if (job.disabled) this.log.debug({ job: job.name, why: job.disabled }, 'job disabled');
    const tick = () => {
      this.running ??= this.tick()
        .catch((err) => this.log.error({ err }, 'job tick failed'))
        .finally(() => {
          this.running = undefined;
        });
    };
    this.timer = setInterval(tick, this.options.tickMs);
    this.timer.unref();
    const first = this.options.firstTickMs ?? 0;
    if (first <= 0) {
      tick();
      return;
    }
    // The lease now (one small write), so who runs the jobs is settled from the start; the jobs later.
    try {
      this.claim();
    } catch (err) {
      this.log.error({ err }, 'job tick failed');
    }
    this.firstTimer = setTimeout(tick, Math.min(first, this.options.tickMs));
    this.firstTimer.unref();
  }

  /** Stops ticking, waits for a running job, and gives the lease back so another holder takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.firstTimer);
    this.timer = undefined;
    await this.running;
    try {
      if (this.held) this.repo.release(JOBS_LEASE, this.holder);
    } catch (err) {
      // A full disk must not stop the shutdown: the lease simply expires (leaseTtlMs) instead.
      this.log.warn({ err }, 'cannot release the jobs lease');
    }
    this.held = false;
  }
}

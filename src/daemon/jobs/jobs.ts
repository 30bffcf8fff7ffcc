import type { IdleReaper } from '../containers/idle-reaper.js';
import type { JobsRepo } from '../db/jobs-repo.js';

/** One background job. Every job is idempotent: running it twice, or on two hosts, does no harm. */
export interface Job {
  name: string;
  description: string;
  everyMs: number;
  /** Absent when the job cannot run in this build or configuration; `disabled` says why. */
  run?: (now: number) => Promise<Record<string, unknown>>;
  disabled?: string;
}

/**
 * Hooks for jobs whose tables belong to other parts of the daemon (jobs/hooks.ts: audit log, refresh
 * tokens, OAuth grants). A job whose hook is absent is listed but disabled.
 */
export interface JobHooks {
  /** Deletes audit-log entries older than `before`; returns how many. */
  pruneAuditLog?: (before: number) => number;
  /** Deletes expired tokens and OAuth grants (codes, refresh tokens) as of `now`; returns how many. */
  purgeExpiredCredentials?: (now: number) => number;
  /**
   * Forgets finished processes beyond the newest `keep` of each container, with their output logs; returns
   * how many.
   */
  pruneProcessHistory?: (keep: number) => Promise<number>;
  /** Runs queued code-search re-indexing (the RAG work); returns what it did. */
  reindexQueued?: (now: number) => Promise<Record<string, unknown>>;
}

export interface JobDeps {
  reaper: IdleReaper;
  /** How often idle containers are looked for; 0 turns the sweep off (DISCO_IDLE_STOP_MINUTES=0). */
  idleEveryMs: number;
  repo: JobsRepo;
  hooks?: JobHooks;
  /** How long audit-log entries are kept. */
  auditRetentionMs?: number;
  /** How many finished processes each container's history keeps. */
  processHistoryKeep?: number;
}

/**
 * Finished processes a container's history keeps (`terminal_history` shows the newest). Without a bound the
 * table gained a row per exec for as long as the container lived (a soak: ~100 rows a second).
 */
export const PROCESS_HISTORY_KEEP = 1_000;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** How often idle containers are looked for: a quarter of the stop TTL, between 1 s and 1 min; 0 never. */
export function idleSweepEveryMs(idleStopMinutes: number): number {
  return idleStopMinutes === 0 ? 0 : Math.min(MINUTE, Math.max(1000, (idleStopMinutes * MINUTE) / 4));
}

/**
 * The registry of background jobs, the same list whether `disco worker` or the daemon (in-process,
 * while no worker holds the lease) runs them.
 */
export function buildJobs(deps: JobDeps): Job[] {
  const { hooks = {} } = deps;
  const auditRetentionMs = deps.auditRetentionMs ?? 90 * 24 * HOUR;
  const processHistoryKeep = deps.processHistoryKeep ?? PROCESS_HISTORY_KEEP;
  const { pruneAuditLog, purgeExpiredCredentials, pruneProcessHistory, reindexQueued } = hooks;
  return [
    {
      name: 'idle-containers',
      description:
        'Stop containers idle past DISCO_IDLE_STOP_MINUTES; delete stopped ones past DISCO_IDLE_DELETE_HOURS.',
      everyMs: deps.idleEveryMs || HOUR,
      ...(deps.idleEveryMs > 0
        ? { run: async (now: number) => ({ ...(await deps.reaper.sweep(now)) }) }
        : { disabled: 'DISCO_IDLE_STOP_MINUTES=0' }),
    },
    {
      name: 'sqlite-maintenance',
      description: 'PRAGMA optimize and a passive WAL checkpoint.',
      everyMs: HOUR,
      run: async () => deps.repo.maintain(),
    },
    {
      name: 'audit-log-retention',
      description: 'Delete audit-log entries past their retention.',
      everyMs: HOUR,
      ...(pruneAuditLog
        ? { run: async (now: number) => ({ deleted: pruneAuditLog(now - auditRetentionMs) }) }
        : { disabled: 'no audit-log hook given' }),
    },
    {
      name: 'credential-purge',
      description: 'Delete expired tokens and OAuth grants.',
      everyMs: 15 * MINUTE,
      ...(purgeExpiredCredentials
        ? { run: async (now: number) => ({ deleted: purgeExpiredCredentials(now) }) }
        : { disabled: 'no credential hook given' }),
    },
    {
      name: 'process-history-retention',
      description: `Forget finished processes beyond each container's newest ${processHistoryKeep}, with their output logs.`,
      everyMs: HOUR,
      ...(pruneProcessHistory
        ? { run: async () => ({ deleted: await pruneProcessHistory(processHistoryKeep) }) }
        : { disabled: 'no process-history hook given' }),
    },
    {
      name: 'reindex-queued',
      description: 'Re-index containers queued for code search.',
      everyMs: MINUTE,
      // The code-search index re-indexes in the daemon's own worker thread for now; this slot is for a queue.
      ...(reindexQueued ? { run: reindexQueued } : { disabled: 'no re-index queue yet' }),
    },
  ];
}

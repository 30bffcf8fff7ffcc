import type { IndexRow } from '../db/rag-repo.js';
import type { JobProgress } from './index-job.js';

/** What `rag_index` reports: the stored index plus, while a pass runs, its live progress. */
export interface IndexStatus {
  container: string;
  state: 'none' | 'indexing' | 'ready' | 'cancelled' | 'failed';
  embedder: { id: string; dimension: number } | null;
  files: number;
  chunks: number;
  /** The pass's counts (JobProgress) with rates in place of its indexing time. */
  progress:
    | (Omit<JobProgress, 'indexingMs'> & {
        filesPerSecond: number;
        chunksPerSecond: number;
        etaSeconds: number | null;
      })
    | null;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const round1 = (n: number) => Math.round(n * 10) / 10;

/** Rates over the indexing phase; the ETA extrapolates the files still to examine at that rate. */
export function progressView(p: JobProgress): NonNullable<IndexStatus['progress']> {
  const seconds = p.indexingMs / 1000;
  const filesPerSecond = seconds > 0 ? p.filesDone / seconds : 0;
  const remaining = Math.max(0, p.filesTotal - p.filesDone);
  const { indexingMs: _, ...counts } = p;
  return {
    ...counts,
    filesPerSecond: round1(filesPerSecond),
    chunksPerSecond: round1(seconds > 0 ? p.chunks / seconds : 0),
    etaSeconds: p.phase === 'done' ? 0 : filesPerSecond > 0 ? round1(remaining / filesPerSecond) : null,
  };
}

export function statusOf(
  containerId: string,
  row: IndexRow | undefined,
  live?: JobProgress,
  last?: JobProgress,
): IndexStatus {
  if (!row) {
    return {
      container: containerId,
      state: 'none',
      embedder: null,
      files: 0,
      chunks: 0,
      progress: null,
      startedAt: null,
      finishedAt: null,
      error: null,
    };
  }
  const p = live ?? last;
  return {
    container: containerId,
    state: live ? 'indexing' : row.state,
    embedder: { id: row.embedder, dimension: row.dimension },
    files: row.files,
    chunks: row.chunks,
    progress: p ? progressView(p) : null,
    startedAt: iso(row.startedAt),
    finishedAt: live ? null : iso(row.finishedAt),
    error: row.error,
  };
}

import type { NewProcessRow, ProcessEnd, ProcessesRepo } from '../db/processes-repo.js';

/**
 * How long the row of a process started in a container's live sandbox waits before it is written. Perf: a
 * short command (most are) ends first and is recorded whole, by one INSERT instead of an INSERT and an
 * UPDATE (two SQLite write transactions, ~1/8 of the daemon's CPU per `exec true`); rows still waiting
 * then are written together, in one transaction. Such a process cannot outlive the daemon (its sandbox
 * dies with it), so a crash in that window loses only the history row of a command whose caller got no
 * answer; a process a restart must find and kill (a pid on this host) is recorded at once.
 */
export const RECORD_AFTER_MS = 50;

/**
 * The processes' history rows, written through `repo`. A failed write (SQLITE_FULL on a full disk) goes
 * to `onError`: the command still runs unrecorded (its output is live), because a command such as `rm big`
 * is how a user frees the space; its history row is what is lost.
 */
export class ProcessHistory {
  /** Rows not written yet, by process id, in start order. */
  private readonly waiting = new Map<string, NewProcessRow>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly repo: ProcessesRepo,
    private readonly onError: (err: unknown, context: Record<string, unknown>) => void,
  ) {}

  /** A process started: recorded running, at once or (`later`, see RECORD_AFTER_MS) unless it ends first. */
  started(row: NewProcessRow, later: boolean): void {
    if (!later) {
      this.write(() => this.repo.insert(row), row.id, 'record the start of a process');
      return;
    }
    this.waiting.set(row.id, row);
    this.timer ??= setTimeout(() => this.flush(), RECORD_AFTER_MS);
  }

  /** A process ended: its row updated, or written whole if it was still waiting. */
  ended(id: string, end: ProcessEnd): void {
    const row = this.waiting.get(id);
    if (row) {
      this.waiting.delete(id);
      this.write(() => this.repo.insert(row, end), id, 'record a process');
    } else {
      // A full disk: the row stays `running` until the next start reconciles it as lost.
      this.write(
        () => this.repo.finish(id, end.status, end.exitCode, end.signal, end.endedAt),
        id,
        'record the end of a process',
      );
    }
  }

  /** A deleted container's processes: those still waiting are never written. */
  forget(ids: Iterable<string>): void {
    for (const id of ids) this.waiting.delete(id);
  }

  /**
   * Writes the rows still waiting, as running: those waiting RECORD_AFTER_MS, or (`all`, before the
   * history is read or the daemon stops) every one; then waits for the next.
   */
  flush(all = false): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.waiting.size === 0 || this.closed) return;
    const due = Date.now() - RECORD_AFTER_MS;
    const rows: NewProcessRow[] = [];
    for (const row of this.waiting.values()) {
      if (!all && row.startedAt > due) break; // in start order: the rest are younger
      rows.push(row);
    }
    for (const row of rows) this.waiting.delete(row.id);
    if (rows.length > 0) {
      const ids = rows.map((r) => r.id).join(',');
      this.write(() => this.repo.insertAll(rows), ids, 'record the start of processes');
    }
    const next = this.waiting.values().next().value;
    if (next) this.timer = setTimeout(() => this.flush(), Math.max(1, next.startedAt - due));
  }

  /** Writes what waits, then nothing more (the database is about to close). */
  close(): void {
    this.flush(true);
    this.closed = true;
  }

  private write(op: () => void, processId: string, step: string): void {
    try {
      op();
    } catch (err) {
      this.onError(err, { processId, step });
    }
  }
}

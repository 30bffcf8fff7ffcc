import { DbChanges } from './changes.js';
import type { Db } from './open.js';

export type ProcessStatus = 'running' | 'exited' | 'killed' | 'timed_out' | 'lost';

export interface ProcessRow {
  id: string;
  containerId: string;
  ownerId: string;
  /** argv array, or the shell command line when `shell`. */
  command: string[] | string;
  shell: boolean;
  cwd: string;
  status: ProcessStatus;
  pid: number | null;
  exitCode: number | null;
  signal: string | null;
  startedAt: number;
  endedAt: number | null;
  /** Started detached (`exec --background`): not use of its container for the idle reaper. */
  background: boolean;
}

/** What is known of a process when it starts. */
export type NewProcessRow = Pick<
  ProcessRow,
  'id' | 'containerId' | 'ownerId' | 'command' | 'shell' | 'cwd' | 'pid' | 'startedAt'
> & { background?: boolean };

/** How a process ended. */
export interface ProcessEnd {
  status: ProcessStatus;
  exitCode: number | null;
  signal: string | null;
  endedAt: number;
}

interface RawRow {
  id: string;
  container_id: string;
  owner_id: string;
  command: string;
  shell: number;
  cwd: string;
  status: ProcessStatus;
  pid: number | null;
  exit_code: number | null;
  signal: string | null;
  started_at: number;
  ended_at: number | null;
  background: number;
}

const toRow = (r: RawRow): ProcessRow => ({
  id: r.id,
  containerId: r.container_id,
  ownerId: r.owner_id,
  command: JSON.parse(r.command) as string[] | string,
  shell: r.shell === 1,
  cwd: r.cwd,
  status: r.status,
  pid: r.pid,
  exitCode: r.exit_code,
  signal: r.signal,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  background: r.background === 1,
});

/** Commands run in containers: the history behind `terminal_history` and `process_list`. */
export class ProcessesRepo {
  private readonly stmts;
  /** Process rows are no cache's concern: recording a process moves no version (DbChanges.unseen). */
  private readonly changes: DbChanges;

  constructor(private readonly db: Db) {
    this.changes = DbChanges.of(db);
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO processes
           (id, container_id, owner_id, command, shell, cwd, status, pid, exit_code, signal, started_at, ended_at, daemon_pid,
            background)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      finish: db.prepare('UPDATE processes SET status = ?, exit_code = ?, signal = ?, ended_at = ? WHERE id = ?'),
      byId: db.prepare('SELECT * FROM processes WHERE id = ?'),
      byContainer: db.prepare(
        'SELECT * FROM processes WHERE container_id = ? ORDER BY started_at DESC, id DESC LIMIT ?',
      ),
      running: db.prepare("SELECT * FROM processes WHERE status = 'running'"),
      markLost: db.prepare("UPDATE processes SET status = 'lost', ended_at = ? WHERE id = ? AND status = 'running'"),
      removeContainer: db.prepare('DELETE FROM processes WHERE container_id = ?'),
      idsOfContainer: db.prepare('SELECT id FROM processes WHERE container_id = ?').pluck(),
      beyondNewest: db
        .prepare(
          `SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY container_id ORDER BY started_at DESC, id DESC) AS n
             FROM processes WHERE status != 'running') WHERE n > ? LIMIT ?`,
        )
        .pluck(),
      remove: db.prepare('DELETE FROM processes WHERE id = ?'),
    };
  }

  /** Records a process: running, or (`end`) one that already ended, in one statement. */
  insert(row: NewProcessRow, end?: ProcessEnd): void {
    this.changes.unseen(() => this.insertRow(row, end));
  }

  /** Records running processes, all in one transaction. */
  insertAll(rows: readonly NewProcessRow[]): void {
    this.changes.unseen(() =>
      this.db.transaction(() => {
        for (const row of rows) this.insertRow(row);
      })(),
    );
  }

  private insertRow(row: NewProcessRow, end?: ProcessEnd): void {
    this.stmts.insert.run(
      row.id,
      row.containerId,
      row.ownerId,
      JSON.stringify(row.command),
      row.shell ? 1 : 0,
      row.cwd,
      end ? end.status : 'running',
      row.pid,
      end ? end.exitCode : null,
      end ? end.signal : null,
      row.startedAt,
      end ? end.endedAt : null,
      process.pid,
      row.background ? 1 : 0,
    );
  }

  finish(id: string, status: ProcessStatus, exitCode: number | null, signal: string | null, endedAt: number): void {
    this.changes.unseen(() => this.stmts.finish.run(status, exitCode, signal, endedAt, id));
  }

  get(id: string): ProcessRow | undefined {
    const r = this.stmts.byId.get(id) as RawRow | undefined;
    return r && toRow(r);
  }

  listByContainer(containerId: string, limit: number): ProcessRow[] {
    return (this.stmts.byContainer.all(containerId, limit) as RawRow[]).map(toRow);
  }

  /** Processes recorded as running, with the pid of the daemon that started each. */
  listRunning(): Array<ProcessRow & { daemonPid: number | null }> {
    return (this.stmts.running.all() as Array<RawRow & { daemon_pid: number | null }>).map((r) => ({
      ...toRow(r),
      daemonPid: r.daemon_pid,
    }));
  }

  /** A process whose daemon is gone: its end was never recorded. */
  markLost(id: string, at: number): boolean {
    return this.stmts.markLost.run(at, id).changes > 0;
  }

  idsOfContainer(containerId: string): string[] {
    return this.stmts.idsOfContainer.all(containerId) as string[];
  }

  removeContainer(containerId: string): void {
    this.stmts.removeContainer.run(containerId);
  }

  /**
   * Retention: forgets finished processes beyond the newest `keep` of each container (at most `batch` per
   * call, in one transaction); returns their ids so their output logs can go too. Running ones stay.
   */
  pruneHistory(keep: number, batch = 5_000): string[] {
    return this.db.transaction(() => {
      const ids = this.stmts.beyondNewest.all(keep, batch) as string[];
      for (const id of ids) this.stmts.remove.run(id);
      return ids;
    })();
  }
}

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Db, openDatabase } from '../../src/daemon/db/open.js';
import { type NewProcessRow, ProcessesRepo } from '../../src/daemon/db/processes-repo.js';
import { ProcessHistory, RECORD_AFTER_MS } from '../../src/daemon/workspace/process-history.js';

const row = (id: string, startedAt = Date.now()): NewProcessRow => ({
  id,
  containerId: 'ctr_a',
  ownerId: 'usr_a',
  command: ['true'],
  shell: false,
  cwd: '.',
  pid: null,
  startedAt,
});
const end = { status: 'exited' as const, exitCode: 0, signal: null, endedAt: Date.now() };

describe('ProcessHistory', () => {
  let db: Db;
  let repo: ProcessesRepo;
  let errors: unknown[];
  let history: ProcessHistory;
  beforeEach(() => {
    vi.useFakeTimers();
    db = openDatabase(':memory:');
    repo = new ProcessesRepo(db);
    errors = [];
    history = new ProcessHistory(repo, (err) => errors.push(err));
  });
  afterEach(() => {
    vi.useRealTimers();
    db.close();
  });

  it('records a process that ends while its row waits by one INSERT, whole', () => {
    const run = vi.spyOn(repo, 'insert');
    const finish = vi.spyOn(repo, 'finish');
    history.started(row('p1'), true);
    expect(repo.get('p1')).toBeUndefined();
    history.ended('p1', end);
    expect(run).toHaveBeenCalledTimes(1);
    expect(finish).not.toHaveBeenCalled();
    expect(repo.get('p1')).toMatchObject({ status: 'exited', exitCode: 0, endedAt: end.endedAt, command: ['true'] });
    vi.advanceTimersByTime(RECORD_AFTER_MS * 2);
    expect(repo.listByContainer('ctr_a', 10)).toHaveLength(1);
  });

  it('writes a row still waiting after RECORD_AFTER_MS as running, then its end as an UPDATE', () => {
    history.started(row('p1'), true);
    vi.advanceTimersByTime(RECORD_AFTER_MS / 2);
    history.started(row('p2'), true);
    vi.advanceTimersByTime(RECORD_AFTER_MS / 2);
    expect(repo.get('p1')?.status).toBe('running');
    expect(repo.get('p2')).toBeUndefined(); // younger: waits its own RECORD_AFTER_MS
    vi.advanceTimersByTime(RECORD_AFTER_MS / 2);
    expect(repo.get('p2')?.status).toBe('running');
    history.ended('p1', end);
    expect(repo.get('p1')?.status).toBe('exited');
  });

  it('writes at once a process with a host pid, and every waiting row when flushed or closed', () => {
    history.started({ ...row('host'), pid: 4242 }, false);
    expect(repo.get('host')).toMatchObject({ status: 'running', pid: 4242 });
    history.started(row('p1'), true);
    history.flush(true);
    expect(repo.get('p1')?.status).toBe('running');
    history.started(row('p2'), true);
    history.close();
    expect(repo.get('p2')?.status).toBe('running');
    history.started(row('p3'), true);
    vi.advanceTimersByTime(RECORD_AFTER_MS * 2);
    expect(repo.get('p3')).toBeUndefined(); // closed: the database may be gone
  });

  it('never writes the rows of a forgotten (deleted) container', () => {
    history.started(row('p1'), true);
    history.forget(['p1']);
    vi.advanceTimersByTime(RECORD_AFTER_MS * 2);
    history.ended('p1', end);
    expect(repo.get('p1')).toBeUndefined();
  });

  it('reports a failed write and goes on', () => {
    vi.spyOn(repo, 'insert').mockImplementation(() => {
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    });
    history.started(row('p1'), true);
    history.ended('p1', end);
    expect(errors).toHaveLength(1);
  });
});

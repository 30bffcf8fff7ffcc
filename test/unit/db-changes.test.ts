import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditRepo } from '../../src/daemon/db/audit-repo.js';
import { DbChanges } from '../../src/daemon/db/changes.js';
import { type Db, openDatabase } from '../../src/daemon/db/open.js';
import { ProcessesRepo } from '../../src/daemon/db/processes-repo.js';

const entry = {
  userId: 'usr_a',
  action: 'exec',
  target: 'ctr_a',
  outcome: 'ok' as const,
  via: 'pat',
  ip: null,
  userAgent: null,
  detail: null,
};
const row = (id: string) => ({
  id,
  containerId: 'ctr_a',
  ownerId: 'usr_a',
  command: ['true'],
  shell: false,
  cwd: '.',
  pid: null,
  startedAt: Date.now(),
});

describe('DbChanges', () => {
  let db: Db;
  let changes: DbChanges;
  beforeEach(() => {
    db = openDatabase(':memory:');
    changes = DbChanges.of(db);
  });
  afterEach(() => db.close());

  it('does not move for audit and process rows (no cache reads them)', () => {
    const audit = new AuditRepo(db);
    const processes = new ProcessesRepo(db);
    const v = changes.version();
    audit.record(entry);
    processes.insert(row('p1'));
    processes.finish('p1', 'exited', 0, null, Date.now());
    processes.insert(row('p2'), { status: 'exited', exitCode: 0, signal: null, endedAt: Date.now() });
    processes.insertAll([row('p3'), row('p4')]);
    expect(changes.version()).toBe(v);
    expect(processes.listByContainer('ctr_a', 10)).toHaveLength(4);
  });

  it('moves for any other write, before or after them', () => {
    const audit = new AuditRepo(db);
    const v = changes.version();
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'x', 0)").run();
    audit.record(entry);
    const w = changes.version();
    expect(w).not.toBe(v);
    audit.record(entry);
    db.prepare('DELETE FROM schema_migrations WHERE version = 9999').run();
    expect(changes.version()).not.toBe(w);
  });

  it('moves when another connection committed, whatever this one wrote since', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'disco-changes-'));
    const a = openDatabase(path.join(dir, 'state.db'));
    const b = openDatabase(path.join(dir, 'state.db'));
    try {
      const ca = DbChanges.of(a);
      const v = ca.version();
      b.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'x', 0)").run();
      new AuditRepo(a).record(entry);
      expect(ca.version()).not.toBe(v);
    } finally {
      a.close();
      b.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

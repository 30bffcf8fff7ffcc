import { readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContainerService } from '../../src/daemon/containers/service.js';
import { DbChanges } from '../../src/daemon/db/changes.js';
import { ContainersRepo } from '../../src/daemon/db/containers-repo.js';
import { type Db, openDatabase } from '../../src/daemon/db/open.js';
import { UsersRepo } from '../../src/daemon/db/users-repo.js';
import { createLogger } from '../../src/daemon/log.js';
import { ProcessTable } from '../../src/daemon/workspace/process-table.js';
import { tempDir } from '../helpers/daemon.js';

let home: string;
let db: Db;
let service: ContainerService;
const log = createLogger('silent');

async function open() {
  db = openDatabase(path.join(home, 'disco.db'));
  new UsersRepo(db).ensureAdmin();
  db.prepare("INSERT OR IGNORE INTO users (id, name, is_admin, created_at) VALUES ('bob', 'bob', 0, 0)").run();
  service = new ContainerService(new ContainersRepo(db), path.join(home, 'containers'), new ProcessTable(), log);
  await service.init();
}

beforeEach(async () => {
  home = await tempDir('disco-containers-');
  await open();
});
afterEach(async () => {
  db.close();
  await rm(home, { recursive: true, force: true });
});

describe('ContainerService', () => {
  it('creates a node container with a package.json named after it', async () => {
    const c = await service.create('admin', { name: 'web', template: 'node' });
    expect(c.id).toMatch(/^ctr_[a-z0-9]{12}$/);
    const pkg = JSON.parse(await readFile(path.join(c.root, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({ name: 'web', type: 'module' });
  });

  it('generates a name from the template when none is given', async () => {
    const c = await service.create('admin', { template: 'blank' });
    expect(c.name).toMatch(/^blank-[a-z0-9]{6}$/);
  });

  it("hides other owners' containers as not found, by id and by name", async () => {
    const c = await service.create('admin', { name: 'mine', template: 'blank' });
    await expect(service.get('bob', c.id)).rejects.toMatchObject({ code: 'not_found' });
    await expect(service.get('bob', 'mine')).rejects.toMatchObject({ code: 'not_found' });
    expect(service.list('bob')).toEqual([]);
    const same = await service.create('bob', { name: 'mine', template: 'blank' });
    expect(same.ownerId).toBe('bob');
  });

  it('persists across a reopen of the database', async () => {
    const c = await service.create('admin', { name: 'keep', template: 'python' });
    db.close();
    await open();
    expect((await service.get('admin', 'keep')).id).toBe(c.id);
  });

  it('finishes a delete interrupted by a crash at the next start', async () => {
    const c = await service.create('admin', { name: 'half', template: 'blank' });
    db.prepare("UPDATE containers SET status = 'deleting' WHERE id = ?").run(c.id);
    db.close();
    await open();
    expect(service.list('admin')).toEqual([]);
    await expect(stat(c.root)).rejects.toThrow();
  });

  it('uses WAL and has sqlite-vec loaded', () => {
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(typeof (db.prepare('SELECT vec_version() AS v').get() as { v: string }).v).toBe('string');
  });
});

describe('two processes on one $DISCO_HOME', () => {
  it('notices a container deleted and re-created by the other process', async () => {
    const other = new ContainerService(new ContainersRepo(db), path.join(home, 'containers'), new ProcessTable(), log);
    const first = await service.create('admin', { name: 'shared', template: 'blank' });
    expect((await other.get('admin', 'shared')).id).toBe(first.id);
    await service.delete('admin', 'shared');
    const second = await service.create('admin', { name: 'shared', template: 'blank' });
    expect((await other.get('admin', 'shared')).id).toBe(second.id);
    await expect(other.get('admin', first.id)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('skips the status probe only while nothing in the database changed, by any connection', async () => {
    // The other process: its own connection to the same file, and a version stamp as a request would carry.
    const db2 = openDatabase(path.join(home, 'disco.db'));
    try {
      const repo2 = new ContainersRepo(db2);
      const other = new ContainerService(repo2, path.join(home, 'containers'), new ProcessTable(), log);
      const changes = DbChanges.of(db2);
      const c = await service.create('admin', { name: 'watched', template: 'blank' });
      let probes = 0;
      const probe = repo2.statusOf.bind(repo2);
      repo2.statusOf = (id: string) => {
        probes++;
        return probe(id);
      };
      await other.get('admin', c.id, changes.version());
      await other.get('admin', c.id, changes.version());
      const afterTwo = probes;
      expect((await other.get('admin', c.id, changes.version())).status).toBe('ready');
      expect(probes).toBe(afterTwo); // unchanged database: the cached row stands
      service.stop(await service.get('admin', c.id), 'asked'); // the first process writes
      expect((await other.get('admin', c.id, changes.version())).status).toBe('stopped');
      expect(probes).toBe(afterTwo + 1);
      await service.delete('admin', c.id);
      await expect(other.get('admin', c.id, changes.version())).rejects.toMatchObject({ code: 'not_found' });
    } finally {
      db2.close();
    }
  });
});

import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainersRepo } from '../../src/daemon/db/containers-repo.js';
import { MIGRATIONS } from '../../src/daemon/db/migrations.js';
import { type Db, openDatabase } from '../../src/daemon/db/open.js';
import { tempDir } from '../helpers/daemon.js';

describe("a container's runtime (migration 12)", () => {
  let home: string;
  let db: Db;
  beforeAll(async () => {
    home = await tempDir();
    const old = openDatabase(
      path.join(home, 'disco.db'),
      MIGRATIONS.filter((m) => m.version <= 11),
    );
    old.prepare("INSERT INTO users (id, name, is_admin, created_at) VALUES ('u', 'u', 0, 1)").run();
    const insert = old.prepare(
      `INSERT INTO containers (id, name, owner_id, runtime, template, status, created_at, last_used_at, pinned)
       VALUES (?, ?, 'u', ?, 'blank', 'ready', 1, 1, 0)`,
    );
    insert.run('ctr_old', 'old', 'local');
    old.close();
    db = openDatabase(path.join(home, 'disco.db'));
    // A value this version does not know (a newer daemon's runtime): read as running nothing on the host.
    db.prepare(
      "INSERT INTO containers (id, name, owner_id, runtime, template, status, created_at, last_used_at, pinned) VALUES ('ctr_new', 'new', 'u', 'martian', 'blank', 'ready', 1, 1, 0)",
    ).run();
  });
  afterAll(async () => {
    db?.close();
    await rm(home, { recursive: true, force: true });
  });

  it('is sandbox for every container made before runtimes, and fails closed for an unknown one', () => {
    const repo = new ContainersRepo(db);
    expect(repo.get('ctr_old')?.runtime).toBe('sandbox');
    expect(repo.get('ctr_new')?.runtime).toBe('webcontainer');
  });
});

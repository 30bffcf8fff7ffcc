import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainersRepo } from '../../src/daemon/db/containers-repo.js';
import { MIGRATIONS } from '../../src/daemon/db/migrations.js';
import { type Db, openDatabase } from '../../src/daemon/db/open.js';
import { EgressPolicy } from '../../src/daemon/egress/policy.js';
import { tempDir } from '../helpers/daemon.js';

describe("a container's stored egress lists (migration 11)", () => {
  let home: string;
  let db: Db;
  beforeAll(async () => {
    home = await tempDir();
    // A database of the version before: its containers get no lists of their own.
    const old = openDatabase(
      path.join(home, 'disco.db'),
      MIGRATIONS.filter((m) => m.version <= 10),
    );
    old.prepare("INSERT INTO users (id, name, is_admin, created_at) VALUES ('u', 'u', 0, 1)").run();
    old
      .prepare(
        `INSERT INTO containers (id, name, owner_id, runtime, template, status, created_at, last_used_at, pinned)
         VALUES ('ctr_old', 'old', 'u', 'local', 'blank', 'ready', 1, 1, 0)`,
      )
      .run();
    old.close();
    db = openDatabase(path.join(home, 'disco.db'));
  });
  afterAll(async () => {
    db?.close();
    await rm(home, { recursive: true, force: true });
  });

  it('are none for a container made before them, and are stored and read back', () => {
    const repo = new ContainersRepo(db);
    expect(repo.get('ctr_old')?.egress).toEqual({ allow: [], deny: [] });
    expect(repo.egressRules('ctr_old')).toEqual({ allow: [], deny: [] });
    repo.setFlags('ctr_old', { egress: { allow: ['example.org'], deny: ['*.example.com'] } });
    expect(repo.egressRules('ctr_old')).toEqual({ allow: ['example.org'], deny: ['*.example.com'] });
    repo.setFlags('ctr_old', { pinned: true }); // other flags leave the lists alone
    expect(repo.get('ctr_old')?.egress).toEqual({ allow: ['example.org'], deny: ['*.example.com'] });
    expect(repo.egressRules('ctr_gone')).toBeUndefined();
  });

  it('fail closed when the stored value cannot be read: nothing is allowed', () => {
    const repo = new ContainersRepo(db);
    for (const bad of ['not json', '{"allow": "x.com"}', '{"allow": [1]}', '[]']) {
      db.prepare("UPDATE containers SET egress_rules = ? WHERE id = 'ctr_old'").run(bad);
      const rules = repo.egressRules('ctr_old');
      const policy = new EgressPolicy();
      for (const host of ['example.org', 'registry.npmjs.org', '93.184.216.34'])
        expect(policy.checkName(host, rules)?.code, `${bad} ${host}`).toBe('not_allowed_domain');
    }
  });
});

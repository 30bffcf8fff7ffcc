import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContainerService } from '../../src/daemon/containers/service.js';
import { WarmPool } from '../../src/daemon/containers/warm-pool.js';
import { ContainersRepo } from '../../src/daemon/db/containers-repo.js';
import { type Db, openDatabase } from '../../src/daemon/db/open.js';
import { UsersRepo } from '../../src/daemon/db/users-repo.js';
import { createLogger } from '../../src/daemon/log.js';
import { ProcessTable } from '../../src/daemon/workspace/process-table.js';
import { tempDir } from '../helpers/daemon.js';

let home: string;
let db: Db;
let pool: WarmPool;
let service: ContainerService;
const log = createLogger('silent');

beforeEach(async () => {
  home = await tempDir('disco-pool-');
  db = openDatabase(path.join(home, 'disco.db'));
  new UsersRepo(db).ensureAdmin();
  const dir = path.join(home, 'containers');
  pool = new WarmPool(path.join(dir, '.pool'), 2, log);
  service = new ContainerService(new ContainersRepo(db), dir, new ProcessTable(), log, pool);
  await service.init();
});
afterEach(async () => {
  await pool.stop();
  db.close();
  await rm(home, { recursive: true, force: true });
});

describe('WarmPool', () => {
  it('keeps the configured number of workspaces ready per template', () => {
    for (const t of ['blank', 'node', 'python'] as const) expect(pool.available(t)).toBe(2);
  });

  it('hands a prepared workspace to a new container with its own name, then refills', async () => {
    const c = await service.create('admin', { name: 'fast', template: 'node' });
    expect(pool.available('node')).toBe(1);
    const pkg = JSON.parse(await readFile(path.join(c.root, 'package.json'), 'utf8'));
    expect(pkg.name).toBe('fast');
    expect(await readFile(path.join(c.root, 'README.md'), 'utf8')).toContain('# fast');
    await pool.refill();
    expect(pool.available('node')).toBe(2);
    expect((await readdir(path.join(home, 'containers'))).filter((d) => d.startsWith('ctr_'))).toEqual([c.id]);
  });

  it('falls back to building the workspace when the pool is empty', async () => {
    const empty = new WarmPool(path.join(home, 'empty-pool'), 0, log);
    await empty.init();
    expect(await empty.claim('node', path.join(home, 'x'), 'x')).toBe(false);
    for (let i = 0; i < 4; i++) await service.create('admin', { template: 'python' });
    expect(service.list('admin')).toHaveLength(4);
  });
});

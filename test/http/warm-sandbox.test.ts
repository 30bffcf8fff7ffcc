import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { hostProcessesOf, waitUntil } from '../helpers/procs.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

const hasBwrap = requireSystem('bubblewrap', hasCommand('bwrap', ['--version']));

describe.runIf(hasBwrap)('a container claimed from the warm pool', () => {
  let t: TestDaemon;
  beforeAll(async () => {
    t = await startTestDaemon({ DISCO_SANDBOX: 'bwrap', DISCO_POOL_SIZE: '1' });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('has its sandbox running before its first command, which joins it', async () => {
    const pool = t.daemon.services.sandboxes;
    expect(pool).toBeDefined();
    const id = (await t.json('POST', '/api/v1/containers', { name: 'warm' })).body.id as string;
    expect(await waitUntil(() => pool?.running(id) !== undefined, 20_000)).toBe(true);
    const box = pool?.running(id);
    const r = await t.json('POST', '/api/v1/terminal/execute', { container: id, command: ['true'] });
    expect(r.body.exitCode).toBe(0);
    expect(pool?.running(id)).toBe(box); // the same sandbox, not a second one
  });

  it('ends that sandbox with the container (stop, delete)', async () => {
    const pool = t.daemon.services.sandboxes;
    // The pool refills in the background: wait until the next create is warm again.
    expect(await waitUntil(() => (t.daemon.services.containers.poolAvailable().blank ?? 0) > 0, 20_000)).toBe(true);
    const id = (await t.json('POST', '/api/v1/containers', { name: 'warm2' })).body.id as string;
    expect(await waitUntil(() => pool?.running(id) !== undefined, 20_000)).toBe(true);
    expect((await t.json('POST', `/api/v1/containers/${id}/stop`)).status).toBe(200);
    expect(await waitUntil(() => pool?.running(id) === undefined && hostProcessesOf(id) === 0, 10_000)).toBe(true);
    const again = await t.json('POST', '/api/v1/terminal/execute', { container: id, command: ['true'] });
    expect(again.body.exitCode).toBe(0);
    expect((await t.json('DELETE', `/api/v1/containers/${id}`)).status).toBe(200);
    expect(await waitUntil(() => hostProcessesOf(id) === 0, 10_000)).toBe(true);
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callWithToken, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { waitUntil } from '../helpers/procs.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

/**
 * "Steady under sharing", performed for real: an ordinary user tries to exhaust the host by creating
 * containers and running commands in many of them, each a live bubblewrap sandbox with a Node supervisor.
 * The daemon bounds the containers a user has and the live sandboxes it runs (sandbox/capacity.ts): idle
 * sandboxes are evicted least recently used first, busy ones never, and a start that finds no room is
 * refused with a typed error.
 */
const hasBwrap = requireSystem('bubblewrap', hasCommand('bwrap', ['--version']));
// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
type Json = any;
const PASSWORD = 'capacity-password';

type Caller = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: Json }>;

async function userOf(t: TestDaemon, name: string): Promise<Caller> {
  expect((await t.json('POST', '/api/v1/users', { name, password: PASSWORD })).status).toBe(201);
  const login = await t.request('POST', '/api/v1/auth/login', {
    auth: false,
    body: { username: name, password: PASSWORD },
  });
  const token = ((await login.json()) as Json).accessToken as string;
  return (method, path, body) => callWithToken(t.url, method, path, token, body);
}

/** The container ids among `ids` whose sandbox (its supervisor, named by the container id) runs on the host. */
function liveSandboxes(ids: readonly string[]): string[] {
  const lines: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmdline.includes('supervisor.cjs')) lines.push(cmdline);
    } catch {
      // exited meanwhile
    }
  }
  return ids.filter((id) => lines.some((l) => l.includes(`"container":"${id}"`)));
}

const exec = (as: Caller, container: string, command: string, background = false) =>
  as('POST', '/api/v1/terminal/execute', { container, command, shell: true, ...(background ? { background } : {}) });

async function create(as: Caller, name: string): Promise<string> {
  const r = await as('POST', '/api/v1/containers', { name });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id;
}

describe.runIf(hasBwrap)('a user cannot create containers without limit', () => {
  let t: TestDaemon;
  beforeAll(async () => {
    t = await startTestDaemon({ DISCO_SANDBOX: 'bwrap', DISCO_POOL_SIZE: '0', DISCO_MAX_CONTAINERS_PER_USER: '4' });
  });
  afterAll(() => t?.stop());

  it('refuses creates over the limit with a typed conflict, even sent all at once, and creates nothing more', async () => {
    const mallory = await userOf(t, 'mallory');
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => mallory('POST', '/api/v1/containers', { name: `c${i}` })),
    );
    expect(answers.filter((r) => r.status === 201)).toHaveLength(4);
    const refused = answers.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(6);
    for (const r of refused) {
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('conflict');
      expect(r.body.error.details).toMatchObject({ limit: 'containers_per_user', max: 4 });
      expect(r.body.error.message).toMatch(/maximum of 4 containers/);
    }
    expect((await mallory('GET', '/api/v1/containers')).body.containers).toHaveLength(4);
    const dirs = readdirSync(`${t.home}/containers`).filter((d) => d.startsWith('ctr_'));
    expect(dirs).toHaveLength(4);
    // Another user is not bound by mallory's count; deleting one of hers makes room again.
    const bob = await userOf(t, 'bob');
    await create(bob, 'b0');
    const first = answers.find((r) => r.status === 201)?.body.name as string;
    expect((await mallory('DELETE', `/api/v1/containers/${first}`)).status).toBe(200);
    expect(await create(mallory, 'again')).toMatch(/^ctr_/);
  });
});

describe.runIf(hasBwrap)('the daemon runs at most DISCO_MAX_LIVE_SANDBOXES sandboxes', () => {
  let t: TestDaemon;
  let mallory: Caller;
  const ids: string[] = [];
  beforeAll(async () => {
    t = await startTestDaemon({
      DISCO_SANDBOX: 'bwrap',
      DISCO_POOL_SIZE: '0',
      DISCO_MAX_LIVE_SANDBOXES: '3',
      DISCO_MAX_LIVE_SANDBOXES_PER_USER: '0',
    });
    mallory = await userOf(t, 'mallory');
    for (let i = 0; i < 6; i++) ids.push(await create(mallory, `c${i}`));
  });
  afterAll(() => t?.stop());

  it('evicts the least recently used idle sandbox; an evicted container keeps its files and starts again', async () => {
    for (let i = 0; i < 6; i++) {
      const r = await exec(mallory, `c${i}`, `echo file-of-${i} > mine.txt`);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(liveSandboxes(ids).length).toBeLessThanOrEqual(3);
      expect(t.daemon.services.sandboxes?.stats()).toMatchObject({
        live: Math.min(i + 1, 3),
        max: 3,
      });
    }
    expect(liveSandboxes(ids)).toEqual(ids.slice(3));
    // The evicted container was stopped as an idle stop does: stopped, restartable, its files intact.
    expect((await mallory('GET', '/api/v1/containers/c0')).body.status).toBe('stopped');
    // Use c3 again: c4 is now the least recently used, and is the one c0's start evicts.
    expect((await exec(mallory, 'c3', 'true')).status).toBe(200);
    const back = await exec(mallory, 'c0', 'cat mine.txt');
    expect(back.status).toBe(200);
    expect(back.body.stdout).toBe('file-of-0\n');
    expect(liveSandboxes(ids).sort()).toEqual([ids[0], ids[3], ids[5]].sort());
    expect((await mallory('GET', '/api/v1/containers/c0')).body.status).toBe('ready');
  });

  it('never evicts a sandbox with a running (background) process; with every slot busy the start is refused', async () => {
    // c0, c3 and c5 run now; a dev server in c0, the least recently used of them.
    const d = await exec(mallory, 'c0', 'sleep 300', true);
    expect(d.body.running).toBe(true);
    await exec(mallory, 'c3', 'true');
    await exec(mallory, 'c5', 'true');
    expect((await exec(mallory, 'c1', 'true')).status).toBe(200);
    expect(liveSandboxes(ids)).toContain(ids[0]);
    expect(liveSandboxes(ids)).not.toContain(ids[3]);
    const h = await mallory('GET', '/api/v1/terminal/history?container=c0');
    expect(h.body.processes.find((p: { id: string }) => p.id === d.body.processId)?.status).toBe('running');
    // Every slot busy: c0, c1 and c5 each run a process.
    expect((await exec(mallory, 'c1', 'sleep 300', true)).body.running).toBe(true);
    expect((await exec(mallory, 'c5', 'sleep 300', true)).body.running).toBe(true);
    const refused = await exec(mallory, 'c2', 'echo never > ran.txt');
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('unavailable');
    expect(refused.body.error.message).toMatch(/maximum of 3 live sandboxes/);
    expect(refused.body.error.details).toMatchObject({ limit: 'live_sandboxes', max: 3 });
    expect(liveSandboxes(ids).sort()).toEqual([ids[0], ids[1], ids[5]].sort());
    expect((await mallory('GET', '/api/v1/containers/c2/files/content?path=ran.txt')).status).toBe(404);
    // Stopping a container makes room.
    expect((await mallory('POST', '/api/v1/containers/c5/stop', {})).status).toBe(200);
    expect((await exec(mallory, 'c2', 'true')).status).toBe(200);
  });
});

describe.runIf(hasBwrap)("a user's own limit evicts only their own sandboxes", () => {
  let t: TestDaemon;
  beforeAll(async () => {
    t = await startTestDaemon({
      DISCO_SANDBOX: 'bwrap',
      DISCO_POOL_SIZE: '0',
      DISCO_MAX_LIVE_SANDBOXES: '10',
      DISCO_MAX_LIVE_SANDBOXES_PER_USER: '2',
    });
  });
  afterAll(() => t?.stop());

  it("filling their limit never evicts another user's sandbox, even the least recently used", async () => {
    const bob = await userOf(t, 'bob');
    const alice = await userOf(t, 'alice');
    const b = await create(bob, 'b0');
    expect((await exec(bob, 'b0', 'true')).status).toBe(200);
    const a = [await create(alice, 'a0'), await create(alice, 'a1'), await create(alice, 'a2')];
    const all = [b, ...a];
    for (const name of ['a0', 'a1', 'a2']) expect((await exec(alice, name, 'true')).status).toBe(200);
    expect(liveSandboxes(all).sort()).toEqual([b, a[1], a[2]].sort());
    // Both of alice's slots busy: her next start is refused, and bob's idle sandbox stays.
    await exec(alice, 'a1', 'sleep 300', true);
    await exec(alice, 'a2', 'sleep 300', true);
    const refused = await exec(alice, 'a0', 'true');
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('conflict');
    expect(refused.body.error.details).toMatchObject({ limit: 'live_sandboxes_per_user', max: 2 });
    expect(liveSandboxes(all)).toContain(b);
    expect((await bob('GET', '/api/v1/containers/b0')).body.status).toBe('ready');
  });
});

describe.runIf(hasBwrap)('prestarting warm containers stays within the bound', () => {
  let t: TestDaemon;
  beforeAll(async () => {
    t = await startTestDaemon({ DISCO_SANDBOX: 'bwrap', DISCO_POOL_SIZE: '4', DISCO_MAX_LIVE_SANDBOXES: '4' });
  });
  afterAll(() => t?.stop());

  it('20 creates from the warm pool leave at most half the cap running, and each starts on its first command', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      ids.push(await create(t.json, `w${i}`));
      // Let the warm pool refill, as it does between a user's creates.
      await new Promise((r) => setTimeout(r, 100));
    }
    // Prestarts run in the background: give them time to start (or not).
    await waitUntil(() => false, 3000);
    expect(liveSandboxes(ids).length).toBeLessThanOrEqual(2);
    expect((await t.json('POST', '/api/v1/terminal/execute', { container: 'w19', command: ['true'] })).status).toBe(
      200,
    );
    expect(liveSandboxes(ids).length).toBeLessThanOrEqual(4);
  });
});

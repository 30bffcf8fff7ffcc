import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ServeProcess, spawnServe } from '../helpers/cli.js';
import { bodyOf, startTestDaemon, type TestDaemon, tempDir } from '../helpers/daemon.js';
import { heartbeat, startsBeating, stopsBeating } from '../helpers/procs.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

const hasBwrap = requireSystem('bubblewrap', hasCommand('bwrap', ['--version']));

const HOUR = 3_600_000;
let t: TestDaemon | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

describe('idle containers', () => {
  it('are stopped after the idle TTL (processes killed, files kept) and start again on use', async () => {
    t = await startTestDaemon({ DISCO_IDLE_STOP_MINUTES: '60' });
    const idle = (await t.json('POST', '/api/v1/containers', { name: 'idle' })).body;
    await t.json('PUT', '/api/v1/containers/idle/files/content', { path: 'keep.txt', content: 'kept' });
    await t.json('POST', '/api/v1/containers', { name: 'busy' });
    // A command someone waits for (returned after `wait`, followed with process_output) is use.
    const bg = await t.json('POST', '/api/v1/terminal/execute', {
      container: 'busy',
      command: heartbeat('beat'),
      shell: true,
      wait: 50,
    });
    expect(bg.body.running).toBe(true);

    const swept = await t.daemon.reaper.sweep(Date.now() + 2 * HOUR);
    expect(swept.stopped).toEqual([idle.id]); // `busy` runs a foreground command: it is in use
    expect(swept.deleted).toEqual([]); // deleting is off by default
    expect((await t.json('GET', '/api/v1/containers/idle')).body.status).toBe('stopped');

    const read = await t.json('GET', '/api/v1/containers/idle/files/content?path=keep.txt');
    expect(read.body.content).toBe('kept');
    expect((await t.json('GET', '/api/v1/containers/idle')).body.status).toBe('ready');
    await t.json('POST', `/api/v1/terminal/processes/${bg.body.processId}/kill`, {});
  });

  it('are deleted after the second TTL unless pinned', async () => {
    t = await startTestDaemon({ DISCO_IDLE_STOP_MINUTES: '60', DISCO_IDLE_DELETE_HOURS: '24' });
    const old = (await t.json('POST', '/api/v1/containers', { name: 'old' })).body;
    const kept = (await t.json('POST', '/api/v1/containers', { name: 'kept' })).body;
    expect((await t.json('PATCH', '/api/v1/containers/kept', { pinned: true })).body.pinned).toBe(true);

    expect((await t.daemon.reaper.sweep(Date.now() + 2 * HOUR)).stopped.sort()).toEqual([old.id, kept.id].sort());
    expect((await t.daemon.reaper.sweep(Date.now() + 12 * HOUR)).deleted).toEqual([]);
    expect((await t.daemon.reaper.sweep(Date.now() + 30 * HOUR)).deleted).toEqual([old.id]);
    expect((await t.json('GET', '/api/v1/containers/old')).status).toBe(404);
    expect((await t.json('GET', '/api/v1/containers/kept')).body).toMatchObject({ status: 'stopped', pinned: true });
    await expect(readFile(path.join(t.home, 'containers', old.id, 'README.md'))).rejects.toThrow();
  });

  it('are stopped on request, and the stop is idempotent', async () => {
    t = await startTestDaemon();
    await t.json('POST', '/api/v1/containers', { name: 's' });
    expect((await t.json('POST', '/api/v1/containers/s/stop', {})).body.status).toBe('stopped');
    expect((await t.json('POST', '/api/v1/containers/s/stop', {})).body.status).toBe('stopped');
    expect((await t.json('POST', '/api/v1/containers/nope/stop', {})).status).toBe(404);
  });
});

describe('after a crash (kill -9 of the daemon)', () => {
  let serve: ServeProcess | undefined;
  afterEach(() => {
    serve?.child.kill('SIGKILL');
  });

  it.each([
    ['none', 'survive it (orphans), and the next start kills them'],
    ['auto', 'die with it (bubblewrap --die-with-parent) where the sandbox runs'],
  ])('sandbox %s: its processes %s; records are marked lost and directories reconciled', async (sandbox) => {
    const home = await tempDir('disco-crash-');
    const token = 'crash-test-token-0123456789';
    const env = { DISCO_ADMIN_TOKEN: token, DISCO_LOG_LEVEL: 'info', DISCO_SANDBOX: sandbox };
    serve = await spawnServe(home, env);
    const call = async (method: string, p: string, body?: unknown) => {
      const res = await fetch(`${serve?.url}${p}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: await bodyOf(res) };
    };
    const c = (await call('POST', '/api/v1/containers', { name: 'crashy' })).body;
    const gone = (await call('POST', '/api/v1/containers', { name: 'gone' })).body;
    const bg = await call('POST', '/api/v1/terminal/execute', {
      container: 'crashy',
      command: heartbeat('beat'),
      shell: true,
      background: true,
    });
    expect(bg.body.running).toBe(true);
    const beat = () => readFile(path.join(home, 'containers', c.id, 'beat'), 'utf8').catch(() => undefined);
    expect(await startsBeating(beat)).toBe(true);

    serve.child.kill('SIGKILL');
    await new Promise((r) => serve?.child.once('exit', r));
    if (sandbox === 'none')
      // An orphan: nothing killed it. Bounded wait for a beat after the kill (a loaded machine can starve
      // the 50 ms loop past one 300 ms window).
      expect(await startsBeating(beat)).toBe(true);
    else if (hasBwrap) expect(await stopsBeating(beat)).toBe(true);

    // Damage a real crash can leave: a half-created workspace, and a row whose directory vanished.
    await mkdir(path.join(home, 'containers', 'ctr_halfcreated0000000'));
    await rm(path.join(home, 'containers', gone.id), { recursive: true });

    serve = await spawnServe(home, env);
    expect(await stopsBeating(beat)).toBe(true);
    expect(serve.logs()).toContain('processes of a previous daemon were found and ended');
    // Without bubblewrap the orphan is killed by the reconcile, unless the container's cgroup (where the
    // host lets the daemon use cgroups) already took it down with the previous daemon's groups.
    if (sandbox === 'none' || !hasBwrap)
      expect(serve.logs()).toMatch(/"killed":1|container cgroups of a previous daemon were found and ended/);
    else expect(serve.logs()).toContain('"killed":0');
    const history = (await call('GET', '/api/v1/terminal/history?container=crashy')).body.processes;
    expect(history[0]).toMatchObject({ id: bg.body.processId, status: 'lost' });
    await expect(readFile(path.join(home, 'containers', 'ctr_halfcreated0000000'))).rejects.toThrow(/ENOENT/);
    const list = (await call('GET', '/api/v1/containers')).body.containers;
    expect(list.find((x: { id: string }) => x.id === gone.id)?.status).toBe('missing');
    expect((await call('DELETE', `/api/v1/containers/${gone.id}`)).status).toBe(200);
    serve.child.kill('SIGTERM');
    await new Promise((r) => serve?.child.once('exit', r));
    serve = undefined;
    await rm(home, { recursive: true, force: true });
  });
});

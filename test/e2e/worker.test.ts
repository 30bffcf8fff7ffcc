import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DISCO_BIN, disco, type ServeProcess, spawnServe } from '../helpers/cli.js';
import { bodyOf, tempDir } from '../helpers/daemon.js';
import { childEnv } from '../helpers/env.js';
import { heartbeat, isAlive, isBeating, startsBeating, stopsBeating, waitUntil } from '../helpers/procs.js';

const HOUR = 3_600_000;
let serve: ServeProcess | undefined;
afterEach(() => {
  serve?.child.kill('SIGKILL');
  serve = undefined;
});

describe('disco worker', () => {
  it('cleans containers past their TTL from its own process: processes gone, directories removed, nothing else touched', async () => {
    const home = await tempDir('disco-worker-');
    const token = 'worker-test-token-0123456789';
    // The daemon itself does no idle sweeps here, so whatever is cleaned was cleaned by the worker.
    const env = {
      DISCO_ADMIN_TOKEN: token,
      DISCO_LOG_LEVEL: 'info',
      DISCO_SANDBOX: 'none',
      DISCO_IDLE_STOP_MINUTES: '0',
    };
    serve = await spawnServe(home, env);
    const call = async (method: string, p: string, body?: unknown) => {
      const res = await fetch(`${serve?.url}${p}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: await bodyOf(res) };
    };
    const ids: Record<string, string> = {};
    for (const name of ['old', 'busy', 'fresh', 'pinned']) {
      ids[name] = (await call('POST', '/api/v1/containers', { name })).body.id;
      await call('PUT', `/api/v1/containers/${name}/files/content`, { path: 'work.txt', content: `${name}\n` });
    }
    // A process that left its process group (setsid): only a kill by environment reaches it.
    const escaped = await call('POST', '/api/v1/terminal/execute', {
      container: 'old',
      command:
        "setsid sh -c 'echo $$ > escaped.pid.tmp && mv escaped.pid.tmp escaped.pid; exec sleep 300' </dev/null >/dev/null 2>&1 & " +
        'while [ ! -s escaped.pid ]; do sleep 0.02; done',
      shell: true,
    });
    expect(escaped.body.exitCode).toBe(0);
    const pidFile = path.join(home, 'containers', ids.old as string, 'escaped.pid');
    expect(await waitUntil(() => readFileSafe(pidFile) !== undefined)).toBe(true);
    const escapedPid = Number(readFileSafe(pidFile));
    expect(isAlive(escapedPid)).toBe(true);
    // `busy` runs a command someone waits for (returned after `wait`): it is in use, however old its last call.
    const bg = await call('POST', '/api/v1/terminal/execute', {
      container: 'busy',
      command: heartbeat('beat'),
      shell: true,
      wait: 50,
      timeoutMs: 120_000,
    });
    // `old` runs a background command only: that is no use, so it ends with its container's idle stop.
    const oldBg = await call('POST', '/api/v1/terminal/execute', {
      container: 'old',
      command: heartbeat('beat'),
      shell: true,
      background: true,
    });
    expect(oldBg.body.running).toBe(true);
    const oldBeat = () =>
      readFile(path.join(home, 'containers', ids.old as string, 'beat'), 'utf8').catch(() => undefined);
    expect(await startsBeating(oldBeat)).toBe(true);
    expect(bg.body.running).toBe(true);
    const beat = () =>
      readFile(path.join(home, 'containers', ids.busy as string, 'beat'), 'utf8').catch(() => undefined);
    expect(await startsBeating(beat)).toBe(true);
    await call('PATCH', '/api/v1/containers/pinned', { pinned: true });
    await call('POST', '/api/v1/containers/pinned/stop', {});

    const db = new Database(path.join(home, 'disco.db'));
    const age = db.prepare('UPDATE containers SET last_used_at = ? WHERE name = ?');
    for (const name of ['old', 'busy', 'pinned']) age.run(Date.now() - 48 * HOUR, name);
    db.close();

    const workerEnv = { ...env, DISCO_HOME: home, DISCO_IDLE_STOP_MINUTES: '60', DISCO_IDLE_DELETE_HOURS: '24' };
    const idleReport = async () => {
      const run = await disco(['worker', '--once', '--json'], workerEnv);
      expect(run.code, run.stderr).toBe(0);
      const out = JSON.parse(run.stdout);
      expect(out.leaseHeld).toBe(true);
      return out.reports.find((r: { job: string }) => r.job === 'idle-containers').result;
    };

    // First pass: `old` is stopped (its escaped process killed), the rest left alone.
    expect(await idleReport()).toEqual({ stopped: [ids.old], deleted: [] });
    expect(await waitUntil(() => !isAlive(escapedPid))).toBe(true);
    expect(await stopsBeating(oldBeat)).toBe(true);
    expect((await call('GET', '/api/v1/containers/old')).body.status).toBe('stopped');

    // Second pass: `old` has been stopped past the delete TTL: deleted; `pinned` is kept.
    expect(await idleReport()).toEqual({ stopped: [], deleted: [ids.old] });
    await expect(stat(path.join(home, 'containers', ids.old as string))).rejects.toThrow(/ENOENT/);
    expect((await call('GET', '/api/v1/containers/old')).status).toBe(404);
    expect((await call('GET', `/api/v1/terminal/history?container=${ids.old}`)).status).toBe(404);

    // Nothing else touched.
    expect(await isBeating(beat)).toBe(true);
    for (const name of ['busy', 'fresh', 'pinned']) {
      const read = await call('GET', `/api/v1/containers/${name}/files/content?path=work.txt`);
      expect(read.body.content).toBe(`${name}\n`);
    }
    expect((await call('GET', '/api/v1/containers/pinned')).body).toMatchObject({ pinned: true });
    expect(
      (await call('GET', '/api/v1/containers')).body.containers.map((c: { name: string }) => c.name).sort(),
    ).toEqual(['busy', 'fresh', 'pinned']);
    expect((await fetch(`${serve.url}/ready`)).status).toBe(200);
    await call('POST', `/api/v1/terminal/processes/${bg.body.processId}/kill`, {});
  });

  it('runs until SIGTERM, holding the lease, and gives it back when it stops', async () => {
    const home = await tempDir('disco-worker-run-');
    const child = spawn(process.execPath, [DISCO_BIN, 'worker'], {
      env: childEnv({ HOME: home, DISCO_HOME: home, DISCO_LOG_LEVEL: 'info' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let logs = '';
    child.stdout.on('data', (c: Buffer) => {
      logs += c.toString();
    });
    expect(await waitUntil(() => logs.includes('"msg":"job done"'), 15_000)).toBe(true);
    expect(logs).toContain('"msg":"job lease acquired"');
    expect(logs).toContain('"job":"sqlite-maintenance"');
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const db = new Database(path.join(home, 'disco.db'));
    expect(db.prepare('SELECT count(*) FROM leases').pluck().get()).toBe(0);
    expect(db.prepare("SELECT ok FROM job_runs WHERE job = 'sqlite-maintenance'").pluck().get()).toBe(1);
    db.close();
  });

  it('says so and exits 1 when another worker holds the lease', async () => {
    const home = await tempDir('disco-worker-lease-');
    const db = new Database(path.join(home, 'disco.db'));
    db.close();
    // Run the migrations, then plant a live lease held by another worker.
    const first = await disco(['worker', '--once', '--json'], { DISCO_HOME: home, DISCO_LOG_LEVEL: 'silent' });
    expect(first.code, first.stderr).toBe(0);
    const raw = new Database(path.join(home, 'disco.db'));
    raw
      .prepare(
        'INSERT INTO leases (name, holder, kind, priority, pid, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run('jobs', 'elsewhere:1:abcd', 'worker', 1, 1, Date.now(), Date.now() + HOUR);
    raw.close();
    const second = await disco(['worker', '--once'], { DISCO_HOME: home, DISCO_LOG_LEVEL: 'silent' });
    expect(second.code).toBe(1);
    expect(second.stdout).toContain('another worker holds the job lease');
  });
});

function readFileSafe(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

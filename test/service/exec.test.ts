import { realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../src/daemon/db/open.js';
import { ProcessesRepo } from '../../src/daemon/db/processes-repo.js';
import { runCommand } from '../../src/daemon/workspace/exec.js';
import { ProcessManager } from '../../src/daemon/workspace/process-manager.js';
import { ProcessTable } from '../../src/daemon/workspace/process-table.js';
import { tempDir } from '../helpers/daemon.js';
import { isAlive, waitUntil } from '../helpers/procs.js';

let root: string;
let state: string;
let table: ProcessTable;
let db: Db;
let manager: ProcessManager;

beforeEach(async () => {
  root = await realpath(await tempDir('disco-exec-'));
  state = await tempDir('disco-exec-state-');
  table = new ProcessTable();
  db = openDatabase(path.join(state, 'disco.db'));
  manager = new ProcessManager(new ProcessesRepo(db), table, path.join(state, 'logs'), 64 * 1024);
});
afterEach(async () => {
  await manager.shutdown();
  table.killAll();
  db.close();
  await rm(root, { recursive: true, force: true });
  await rm(state, { recursive: true, force: true });
});

const run = (command: string | string[], extra: Partial<Parameters<typeof runCommand>[0]> = {}) =>
  runCommand(
    {
      containerId: 'ctr_test',
      ownerId: 'admin',
      background: false,
      root,
      network: 'host',
      command,
      shell: typeof command === 'string',
      cwd: '.',
      env: {},
      timeoutMs: 10_000,
      maxOutputBytes: 1024 * 1024,
      ...extra,
    },
    manager,
  );

describe('runCommand', () => {
  it('passes argv without a shell', async () => {
    const r = await run(['echo', '$HOME', '&&', 'ls']);
    expect(r.stdout).toBe('$HOME && ls\n');
    expect(r.exitCode).toBe(0);
  });

  it('runs in the workspace with HOME there and the daemon env withheld', async () => {
    process.env.DISCO_TEST_SECRET = 'hunter2';
    try {
      const r = await run('pwd; env', { env: { FOO: 'bar' } });
      expect(r.stdout.split('\n')[0]).toBe(root);
      expect(r.stdout).toContain('FOO=bar');
      expect(r.stdout).toContain(`HOME=${root}`);
      expect(r.stdout).not.toContain('hunter2');
    } finally {
      delete process.env.DISCO_TEST_SECRET;
    }
  });

  it('kills the whole process group at the timeout', async () => {
    const r = await run('sleep 30 & echo $!; wait', { timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    const child = Number(r.stdout.trim());
    expect(await waitUntil(() => !isAlive(child))).toBe(true);
  });

  it('kills what a finished command left running in the background', async () => {
    const r = await run('sleep 30 >/dev/null 2>&1 & echo $!');
    expect(r.exitCode).toBe(0);
    expect(await waitUntil(() => !isAlive(Number(r.stdout.trim())))).toBe(true);
  });

  it('stops when cancelled', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const r = await run(['sleep', '30'], { signal: controller.signal });
    expect(r).toMatchObject({ cancelled: true, exitCode: null, signal: 'SIGKILL' });
    expect(r.durationMs).toBeLessThan(5_000);
  });

  it('caps output and marks it truncated', async () => {
    const r = await run('head -c 100000 /dev/zero | tr "\\0" x', { maxOutputBytes: 1000 });
    expect(r.stdout.length).toBe(1000);
    expect(r.truncated).toBe(true);
  });

  it('feeds stdin', async () => {
    expect((await run(['cat'], { stdin: 'piped\n' })).stdout).toBe('piped\n');
  });

  it('reports a missing command as command_not_found', async () => {
    await expect(run(['definitely-not-a-command-xyz'])).rejects.toMatchObject({ code: 'command_not_found' });
  });

  it('tracks running processes per container and kills them on demand', async () => {
    const pending = run(['sleep', '30']);
    await waitUntil(() => table.count('ctr_test') === 1);
    expect(table.killContainer('ctr_test')).toBe(1);
    const r = await pending;
    expect(r.signal).toBe('SIGKILL');
    expect(table.count()).toBe(0);
  });

  it('returns after wait with the output so far; the command goes on and its log has the rest', async () => {
    const r = await run('echo first; sleep 0.6; echo second', { waitMs: 200 });
    expect(r).toMatchObject({ running: true, exitCode: null, stdout: 'first\n' });
    const p = manager.get('admin', r.processId);
    await p?.done;
    const rest = p?.log.read(r.nextOffset);
    expect(rest?.records.map((x) => x.text)).toEqual(['second\n']);
    expect(p?.status).toBe('exited');
    expect(manager.history('ctr_test', 10)[0]).toMatchObject({ id: r.processId, status: 'exited', exitCode: 0 });
  });

  it('runs a background command that reads stdin until told to stop', async () => {
    const r = await run(['cat'], { background: true, waitMs: 0 });
    expect(r.running).toBe(true);
    const p = manager.get('admin', r.processId);
    p?.write('hello\n', false);
    p?.write('bye\n', true);
    await p?.done;
    expect(
      p?.log
        .read(0)
        .records.map((x) => x.text)
        .join(''),
    ).toBe('hello\nbye\n');
    expect(manager.get('other-user', r.processId)).toBeUndefined();
  });

  it('kills the processes a previous daemon left and marks them lost', async () => {
    const left = await run(['sleep', '5'], { background: true, waitMs: 0 });
    const fresh = new ProcessManager(new ProcessesRepo(db), new ProcessTable(), path.join(state, 'logs2'), 64 * 1024);
    expect(fresh.reconcile()).toEqual({ lost: 1, killed: 1 });
    expect(fresh.history('ctr_test', 10)[0]?.status).toBe('lost');
    await manager.get('admin', left.processId)?.done; // the kill really ended it
  });
});

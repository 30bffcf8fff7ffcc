import { realpath, rm } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/daemon/workspace/exec.js';
import { ProcessTable } from '../../src/daemon/workspace/process-table.js';
import { tempDir } from '../helpers/daemon.js';
import { isAlive, waitUntil } from '../helpers/procs.js';

let root: string;
let table: ProcessTable;

beforeEach(async () => {
  root = await realpath(await tempDir('disco-exec-'));
  table = new ProcessTable();
});
afterEach(async () => {
  table.killAll();
  await rm(root, { recursive: true, force: true });
});

const run = (command: string | string[], extra: Partial<Parameters<typeof runCommand>[0]> = {}) =>
  runCommand(
    {
      containerId: 'ctr_test',
      root,
      command,
      shell: typeof command === 'string',
      cwd: '.',
      env: {},
      timeoutMs: 10_000,
      maxOutputBytes: 1024 * 1024,
      ...extra,
    },
    table,
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
});

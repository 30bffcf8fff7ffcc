import { stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { heartbeat, hostProcessesOf, waitUntil } from '../helpers/procs.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

const hasBwrap = requireSystem('bubblewrap', hasCommand('bwrap', ['--version']));

describe.runIf(hasBwrap)('the bubblewrap sandbox', () => {
  let t: TestDaemon;
  let mine: { id: string };
  let other: { id: string };
  const run = async (command: string, container = 'mine') =>
    (await t.json('POST', '/api/v1/terminal/execute', { container, command, shell: true })).body;

  beforeAll(async () => {
    t = await startTestDaemon({ DISCO_SANDBOX: 'bwrap' });
    mine = (await t.json('POST', '/api/v1/containers', { name: 'mine' })).body;
    other = (await t.json('POST', '/api/v1/containers', { name: 'other' })).body;
    await t.json('PUT', '/api/v1/containers/other/files/content', { path: 'secret.txt', content: 'other tenant data' });
  });
  afterAll(() => t.stop());

  it('is reported by /health', async () => {
    expect((await t.json('GET', '/health')).body.checks.sandbox).toEqual({
      mode: 'bwrap',
      commands: 'everyone',
      seccomp: true,
      // Who starts processes in container sandboxes: the native spawner once `npm run build` compiled it.
      spawner: { path: expect.stringMatching(/^(native|node)$/), reason: expect.any(String) },
    });
  });

  it("hides other containers, the database, the admin token and the host's home", async () => {
    const otherFile = path.join(t.home, 'containers', other.id, 'secret.txt');
    for (const target of [
      otherFile,
      path.join(t.home, 'disco.db'),
      path.join(t.home, 'admin-token'),
      '/root',
      '/etc/shadow',
    ]) {
      const r = await run(`cat '${target}' 2>&1 || ls '${target}' 2>&1; echo "rc=$?"`);
      expect(r.stdout, target).not.toContain('other tenant data');
      expect(r.stdout, target).toMatch(/No such file or directory/);
    }
  });

  it('lets commands write only inside their workspace', async () => {
    const r = await run(
      'echo ok > inside.txt && cat inside.txt; touch /usr/evil 2>&1; touch /etc/evil-rooted 2>&1; echo done',
    );
    expect(r.stdout).toContain('ok\n');
    expect(r.stdout).toMatch(/Read-only file system/);
    await expect(stat('/usr/evil')).rejects.toThrow();
    expect((await stat(path.join(t.home, 'containers', mine.id, 'inside.txt'))).isFile()).toBe(true);
  });

  it("shares a private /tmp among one container's commands, never with another container or the host", async () => {
    await run('echo one > /tmp/private-marker');
    expect((await run('cat /tmp/private-marker 2>&1')).stdout).toBe('one\n');
    expect((await run('cat /tmp/private-marker 2>&1', 'other')).stdout).toMatch(/No such file/);
    await expect(stat('/tmp/private-marker')).rejects.toThrow();
  });

  it('sees only its own processes and gets a network namespace of its own by default', async () => {
    const ps = await run('ls /proc | grep -E "^[0-9]+$" | wc -l');
    expect(Number(ps.stdout.trim())).toBeLessThan(10);
    expect((await run('cat /etc/resolv.conf > /dev/null && echo resolv-ok')).stdout).toBe('resolv-ok\n');
  });

  it('cannot outlive its container', async () => {
    const c = (await t.json('POST', '/api/v1/containers', { name: 'doomed' })).body;
    await t.json('POST', '/api/v1/terminal/execute', {
      container: 'doomed',
      command: `(${heartbeat('beat')}) & wait`,
      shell: true,
      background: true,
    });
    expect(await waitUntil(() => hostProcessesOf(c.id) >= 3)).toBe(true);
    await t.json('DELETE', '/api/v1/containers/doomed');
    expect(await waitUntil(() => hostProcessesOf(c.id) === 0)).toBe(true);
  });

  it('reports a missing command as command_not_found', async () => {
    const r = await t.json('POST', '/api/v1/terminal/execute', { container: 'mine', command: ['no-such-tool-here'] });
    expect(r.body.error.code).toBe('command_not_found');
  });
});

describe('DISCO_SANDBOX=none', () => {
  it('warns in /health', async () => {
    const t = await startTestDaemon({ DISCO_SANDBOX: 'none' });
    try {
      const health = (await t.json('GET', '/health')).body.checks.sandbox;
      expect(health.mode).toBe('none');
      expect(health.warning).toMatch(/not sandboxed/);
    } finally {
      await t.stop();
    }
  });
});

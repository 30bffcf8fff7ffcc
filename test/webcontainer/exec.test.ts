import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WorkbenchStand, workbenchStand, workbenchTestsEnabled } from '../helpers/webcontainer-fixture.js';

describe.runIf(workbenchTestsEnabled())('webcontainer runtime: commands run in the attached page', () => {
  let s: WorkbenchStand;
  let id: string;
  beforeAll(async () => {
    s = await workbenchStand();
    id = await s.create('web');
    await s.attach(id);
  }, 60_000);
  afterAll(async () => s?.close());

  const exec = (body: Record<string, unknown>) =>
    s.d.json('POST', '/api/v1/terminal/execute', { container: id, ...body });

  /** The process's output once it has ended (polled). */
  const settled = async (pid: string) => {
    for (let i = 0; i < 100; i++) {
      const r = await s.d.json('GET', `/api/v1/terminal/processes/${pid}/output`);
      if (!r.body.running) return r.body;
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error(`${pid} still runs`);
  };

  it('runs node -v and node -e in the foreground with their exit codes', async () => {
    const v = await exec({ command: ['node', '-v'] });
    expect(v.status).toBe(200);
    expect(v.body).toMatchObject({ exitCode: 0, running: false });
    expect(v.body.stdout).toMatch(/^v\d+\.\d+\.\d+\n$/);
    const e = await exec({ command: ['node', '-e', 'console.log(1 + 1); process.exit(3)'] });
    expect(e.body).toMatchObject({ exitCode: 3, stdout: '2\n' });
    const sh = await exec({ command: 'echo hi && false', shell: true });
    expect(sh.body).toMatchObject({ exitCode: 1, stdout: 'hi\n' });
  });

  it('answers command_not_found for a program the page does not have', async () => {
    const r = await exec({ command: ['no-such-program'] });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('command_not_found');
  });

  it('runs a background command: output, input, wait and kill', async () => {
    const script =
      "process.stdin.on('data', d => console.log('got ' + d)); process.stdin.on('end', () => process.exit(0))";
    const bg = await exec({ command: ['node', '-e', script], background: true, stdinOpen: true });
    expect(bg.body.running).toBe(true);
    const pid = bg.body.processId as string;
    const input = await s.d.json('POST', `/api/v1/terminal/processes/${pid}/input`, { text: 'ping', end: true });
    expect(input.status).toBe(200);
    const out = await settled(pid);
    expect(out.records.map((r: { text: string }) => r.text).join('')).toContain('got ping');
    expect(out).toMatchObject({ status: 'exited', exitCode: 0 });
    const waited = await exec({ command: ['node', '-e', "setTimeout(() => console.log('late'), 300)"], wait: 5000 });
    expect(waited.body).toMatchObject({ running: false, exitCode: 0, stdout: 'late\n' });
    const sleeper = await exec({ command: ['sleep', '30'], background: true });
    const kill = await s.d.json('POST', `/api/v1/terminal/processes/${sleeper.body.processId}/kill`, {});
    expect(kill.status).toBe(200);
    expect((await settled(sleeper.body.processId)).running).toBe(false);
  });

  it('refuses computer use with unsupported', async () => {
    const r = await s.d.json('POST', `/api/v1/computer-use/${id}/navigate`, { url: 'http://localhost:3000/' });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('unsupported');
  });

  it('refuses git with unsupported', async () => {
    const r = await s.d.json('GET', `/api/v1/containers/${id}/git/status`);
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('unsupported');
    expect(r.body.error.message).toContain('git is not available in the webcontainer runtime');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TerminalError } from '../../src/cli/terminal-client.js';
import { TerminalProbe } from '../helpers/terminal.js';
import { until, type WorkbenchStand, workbenchStand, workbenchTestsEnabled } from '../helpers/webcontainer-fixture.js';

const HOUR = 3_600_000;

describe.runIf(workbenchTestsEnabled())('webcontainer runtime: the command policy, one output stream, idle', () => {
  let s: WorkbenchStand;
  let id: string;
  beforeAll(async () => {
    s = await workbenchStand();
    id = await s.create('web');
    await s.attach(id);
  }, 60_000);
  afterAll(async () => s?.close());

  const exec = (body: Record<string, unknown>, container = id) =>
    s.d.json('POST', '/api/v1/terminal/execute', { container, ...body });

  it('refuses a destructive command in exec, in the foreground and in the background', async () => {
    const fg = await exec({ command: 'echo ran && rm -rf /', shell: true });
    expect(fg.status).toBe(403);
    expect(fg.body.error.code).toBe('command_refused');
    const bg = await exec({ command: ['rm', '-rf', '/'], background: true });
    expect(bg.status).toBe(403);
    expect(bg.body.error.code).toBe('command_refused');
    const history = await s.d.json('GET', `/api/v1/terminal/history?container=${id}`);
    expect(JSON.stringify(history.body)).not.toContain('rm -rf');
  });

  it('refuses a destructive line typed into a terminal in the page (and erases it)', async () => {
    const p = await TerminalProbe.connect(s.d.url, s.d.token);
    try {
      const t = await p.client.open({ container: id, cols: 100, rows: 30 });
      p.take(t.terminal.id, t);
      await p.waitFor(t.terminal.id, /❯/);
      const refused = await p.client.input(t.terminal.id, 'rm -rf /\r').catch((e: TerminalError) => e);
      expect(refused).toBeInstanceOf(TerminalError);
      expect((refused as TerminalError).code).toBe('command_refused');
      const mark = p.length(t.terminal.id);
      await p.client.input(t.terminal.id, 'echo still-here\r');
      // The refused line was abandoned in the page's shell: only `echo still-here` ran.
      const after = await p.waitFor(t.terminal.id, /\r\nstill-here\r\n/, 10_000, mark);
      expect(after).not.toMatch(/command not found/);
      await p.client.input(t.terminal.id, 'exit\r');
      expect(await p.waitExit(t.terminal.id)).toBe(0);
    } finally {
      p.close();
    }
  });

  it('says stderr is in stdout instead of claiming an empty stderr', async () => {
    const r = await exec({ command: ['node', '-e', "console.log('out'); console.error('err')"] });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ exitCode: 0, stdout: 'out\nerr\n', stderr: '', stderrMerged: true });
    const bg = await exec({ command: ['node', '-e', "console.error('late')"], background: true });
    const out = await until('the process ends', async () => {
      const o = await s.d.json('GET', `/api/v1/terminal/processes/${bg.body.processId}/output`);
      return o.body.running ? undefined : o.body;
    });
    expect(out.records.map((x: { text: string }) => x.text).join('')).toBe('late\n');
    expect(out.stderrMerged).toBe(true);
  });

  // Last: a sweep stops every idle container of the daemon.
  it('does not stop a container whose page is open; stops it once the page has gone', async () => {
    const other = await s.create('web-idle');
    const page = await s.attach(other);
    const kept = await s.d.daemon.reaper.sweep(Date.now() + 2 * HOUR);
    expect(kept.stopped).not.toContain(other);
    expect((await s.d.json('GET', `/api/v1/containers/${other}`)).body.status).toBe('ready');
    await page.close();
    await until('the page has gone', async () => (s.d.daemon.services.workbench?.attachedTo(other) ? undefined : true));
    const swept = await s.d.daemon.reaper.sweep(Date.now() + 2 * HOUR);
    expect(swept.stopped).toContain(other);
    expect((await s.d.json('GET', `/api/v1/containers/${other}`)).body.status).toBe('stopped');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TerminalProbe } from '../helpers/terminal.js';
import { until, type WorkbenchStand, workbenchStand, workbenchTestsEnabled } from '../helpers/webcontainer-fixture.js';

describe.runIf(workbenchTestsEnabled())('webcontainer runtime: files, ports, terminals and the page going away', () => {
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
  const read = (p: string) => s.d.json('GET', `/api/v1/containers/${id}/files/content?path=${encodeURIComponent(p)}`);

  it('shows a file the daemon writes in the page, and a file the page writes in the daemon copy and search', async () => {
    const w = await s.d.json('PUT', `/api/v1/containers/${id}/files/content`, {
      path: 'src/a.txt',
      content: 'from daemon',
    });
    expect(w.status).toBe(200);
    const cat = await until('the page sees the file', async () => {
      const r = await exec({ command: ['cat', 'src/a.txt'] });
      return r.body.exitCode === 0 ? r.body : undefined;
    });
    expect(cat.stdout).toBe('from daemon');
    const made = await exec({ command: ['node', '-e', "require('fs').writeFileSync('made.txt', 'needle from page')"] });
    expect(made.body.exitCode).toBe(0);
    const back = await until('the daemon copy has it', async () => {
      const r = await read('made.txt');
      return r.status === 200 ? r.body : undefined;
    });
    expect(back.content).toBe('needle from page');
    const found = await s.d.json('POST', `/api/v1/containers/${id}/files/search`, { query: 'needle from page' });
    expect(found.body.matches.map((m: { path: string }) => m.path)).toContain('made.txt');
    const del = await s.d.json('DELETE', `/api/v1/containers/${id}/files?path=src/a.txt`);
    expect(del.status).toBe(200);
    await until('the page lost it', async () => {
      const r = await exec({ command: ['cat', 'src/a.txt'] });
      return r.body.exitCode === 1 ? true : undefined;
    });
  });

  it('announces a served port with the preview URL the page reported', async () => {
    const server = "require('http').createServer((q, r) => r.end('ok')).listen(3000, () => console.log('up'))";
    const r = await exec({ command: ['node', '-e', server], background: true, wait: 1000 });
    expect(r.body.running).toBe(true);
    const url = 'https://3000-standin.webcontainer.invalid/';
    const ports = await until('the port is listed', async () => {
      const l = await s.d.json('GET', `/api/v1/containers/${id}/ports`);
      return l.body.ports?.length ? l.body.ports : undefined;
    });
    expect(ports[0]).toMatchObject({ port: 3000, urls: { path: url } });
    const again = await exec({ command: ['sleep', '1'], background: true, wait: 200 });
    expect(again.body.ports ?? []).toContainEqual({ port: 3000, url });
    await s.d.json('POST', `/api/v1/terminal/processes/${r.body.processId}/kill`, {});
  });

  it('runs a PTY terminal in the page (jsh)', async () => {
    const probe = await TerminalProbe.connect(s.d.url, s.d.token);
    try {
      const t = await probe.client.open({ container: id, cols: 100, rows: 30 });
      probe.take(t.terminal.id, t);
      await probe.waitFor(t.terminal.id, /❯/);
      await probe.client.input(t.terminal.id, 'echo hello-pty\r');
      await probe.waitFor(t.terminal.id, /hello-pty\r\n/);
      await probe.client.input(t.terminal.id, 'exit\r');
      expect(await probe.waitExit(t.terminal.id)).toBe(0);
    } finally {
      probe.client.disconnect();
    }
  });

  it('refuses a second tab while the first is attached, and tells it', async () => {
    const link = await s.d.json('POST', `/api/v1/containers/${id}/workbench`, {});
    expect(link.body.attached).toBe(true);
    const second = await s.browser.newPage();
    await second.goto(link.body.url);
    await second.locator('#banner', { hasText: 'attached elsewhere' }).waitFor({ timeout: 10_000 });
    await second.close();
    expect((await exec({ command: ['true'] })).body.exitCode).toBe(0);
  });

  it('reports a command lost when its tab closes mid-command, and answers unavailable with the URL after', async () => {
    const other = await s.create('web2');
    const page = await s.attach(other);
    const bg = await exec({ command: ['sleep', '60'], background: true }, other);
    expect(bg.body.running).toBe(true);
    const fg = exec({ command: ['sleep', '60'] }, other);
    await new Promise((r) => setTimeout(r, 300));
    await page.close();
    const ended = await fg;
    expect(ended.body.exitCode).toBeNull();
    const out = await until('the background command is lost', async () => {
      const r = await s.d.json('GET', `/api/v1/terminal/processes/${bg.body.processId}/output`);
      return r.body.running ? undefined : r.body;
    });
    expect(out.status).toBe('lost');
    const none = await exec({ command: ['node', '-v'] }, other);
    expect(none.status).toBe(503);
    expect(none.body.error.code).toBe('unavailable');
    expect(none.body.error.message).toContain('disco open web2');
    expect(none.body.error.details.url).toBe(`${s.d.url}/workbench/${other}`);
    // File ops keep working on the daemon's copy.
    const w = await s.d.json('PUT', `/api/v1/containers/${other}/files/content`, { path: 'x.txt', content: 'still' });
    expect(w.status).toBe(200);
  });
});

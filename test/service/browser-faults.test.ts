import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestsEnabled, refOf } from '../helpers/browser-app.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const enabled = browserTestsEnabled();

/** A page with a blocking alert behind a button and a download link, served from inside the container. */
const FAULTS_APP = `
const http = require('http');
const page = '<!doctype html><title>Faults</title>' +
  '<button onclick="alert(\\'are you sure?\\'); document.title = \\'after alert\\'">Ask</button>' +
  '<a href="/report.csv" download>Get report</a>';
http.createServer((q, r) => {
  if (q.url === '/report.csv') {
    r.setHeader('content-type', 'text/csv');
    r.setHeader('content-disposition', 'attachment; filename="report.csv"');
    return r.end('a,b\\n1,2\\n');
  }
  r.setHeader('content-type', 'text/html');
  r.end(page);
}).listen(Number(process.argv[1]), '127.0.0.1', () => console.log('listening'));
`;

/** What a page does that would hang a naive driver: a dialog, a download; and the daemon's browser budget. */
describe.runIf(enabled)('a container browser under faults', () => {
  let t: TestDaemon;
  const api = '/api/v1/computer-use/web';
  // biome-ignore lint/suspicious/noExplicitAny: tests assert on arbitrary JSON shapes
  const post = async (verb: string, body: Record<string, unknown>): Promise<{ status: number; body: any }> =>
    t.json('POST', `${api}/${verb}`, body);

  beforeAll(async () => {
    // One browser at a time on this daemon: the budget is part of what is tested.
    t = await startTestDaemon({ DISCO_BROWSER_MAX: '1' });
    expect((await t.json('POST', '/api/v1/containers', { name: 'web' })).status).toBe(201);
    const started = await t.json('POST', '/api/v1/terminal/execute', {
      container: 'web',
      command: ['node', '-e', FAULTS_APP, '3000'],
      background: true,
      wait: 2000,
    });
    expect(started.body.stdout).toContain('listening');
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('dismisses a blocking dialog and reports it; the click returns and the page goes on', async () => {
    const nav = await post('navigate', { url: '3000' });
    expect(nav.status).toBe(200);
    const clicked = await post('click', { ref: refOf(nav.body.diff, 'button "Ask"') });
    expect(clicked.status).toBe(200);
    const events = await t.json('GET', `${api}/console`);
    expect(events.body.events.map((e: { kind: string; text: string }) => `${e.kind} ${e.text}`)).toContain(
      'dialog alert: are you sure? (dismissed)',
    );
    // The page still answers, and the alert's handler ran on past it.
    const snap = await t.json('GET', `${api}/snapshot`);
    expect(snap.status).toBe(200);
    expect(snap.body.snapshot).toContain('button "Ask"');
  });

  it('refuses a download and reports it, writing nothing', async () => {
    const snap = await t.json('GET', `${api}/snapshot`);
    const clicked = await post('click', { ref: refOf(snap.body.snapshot, 'link "Get report"') });
    expect(clicked.status).toBe(200);
    await expect
      .poll(async () => {
        const net = await t.json('GET', `${api}/network`);
        return net.body.events.map((e: { kind: string; text: string }) => `${e.kind} ${e.text}`);
      })
      .toContain('download download refused: report.csv');
  });

  it('runs at most DISCO_BROWSER_MAX browsers: one more is a typed conflict until one is closed', async () => {
    const second = await post('navigate', { url: '3000', session: 'second' });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('conflict');
    expect(second.body.error.message).toMatch(/at most 1 browser/);
    expect((await t.json('DELETE', `${api}/sessions/default`)).body).toEqual({ closed: true });
    const now = await post('navigate', { url: '3000', session: 'second' });
    expect(now.status).toBe(200);
  });
});

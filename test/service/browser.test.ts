import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_APP, browserTestsEnabled, refOf } from '../helpers/browser-app.js';
import { disco } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { decodePng } from '../helpers/png.js';

const enabled = browserTestsEnabled();

/**
 * Computer use against a real page: a Node server started in the container with exec --background, the
 * container's Chromium (inside its sandbox) driven over REST and MCP.
 */
describe.runIf(enabled)('a container browser', () => {
  let t: TestDaemon;
  const api = '/api/v1/computer-use/web';
  // biome-ignore lint/suspicious/noExplicitAny: tests assert on arbitrary JSON shapes
  const post = async (verb: string, body: Record<string, unknown>): Promise<{ status: number; body: any }> =>
    t.json('POST', `${api}/${verb}`, body);

  beforeAll(async () => {
    t = await startTestDaemon();
    expect((await t.json('POST', '/api/v1/containers', { name: 'web' })).status).toBe(201);
    const started = await t.json('POST', '/api/v1/terminal/execute', {
      container: 'web',
      command: ['node', '-e', BROWSER_APP, '3000'],
      background: true,
      wait: 2000,
    });
    expect(started.body.stdout).toContain('listening on 3000');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('fills a form and submits it by refs; the answer is in the diff', async () => {
    const nav = await post('navigate', { url: '3000' });
    expect(nav.status).toBe(200);
    expect(nav.body.url).toBe('http://localhost:3000/');
    expect(nav.body.title).toBe('Test app');
    const field = refOf(nav.body.diff, 'textbox "Your name"');
    const typed = await post('type', { ref: field, text: 'Ada' });
    expect(typed.status).toBe(200);
    const submit = refOf(nav.body.diff, 'button "Greet"');
    const clicked = await post('click', { ref: submit });
    expect(clicked.status).toBe(200);
    expect(clicked.body.diff).toContain('+ ');
    expect(clicked.body.diff).toContain('Hello, Ada!');
    // Nothing changed since: the diff says so; find returns only matching lines.
    const again = await t.json('GET', `${api}/snapshot?mode=diff`);
    expect(again.body.snapshot).toBe('# no change');
    const found = await t.json('GET', `${api}/snapshot?mode=find&find=greet`);
    expect(found.body.snapshot).toContain('button "Greet"');
    expect(found.body.snapshot).not.toContain('count me');
  });

  it('reports the console error and the failed requests of the page', async () => {
    const consoleEvents = await t.json('GET', `${api}/console`);
    expect(consoleEvents.status).toBe(200);
    expect(consoleEvents.body.events.map((e: { text: string }) => e.text)).toContain('boom: something broke');
    const network = await t.json('GET', `${api}/network`);
    const byUrl = (part: string) =>
      network.body.events.find((e: { url?: string }) => e.url?.includes(part)) as { kind: string; status?: number };
    expect(byUrl('/missing-thing')).toMatchObject({ kind: 'http_error', status: 404 });
    expect(byUrl('localhost:3999')).toMatchObject({ kind: 'request_failed' });
    // A cursor: nothing newer than the newest event.
    const later = await t.json('GET', `${api}/console?since=${consoleEvents.body.cursor}`);
    expect(later.body.events).toEqual([]);
  });

  it('takes a screenshot of the expected size that shows the page (REST image/png, JSON on request)', async () => {
    const res = await t.request('GET', `${api}/screenshot`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    const png = decodePng(Buffer.from(await res.arrayBuffer()));
    expect([png.width, png.height]).toEqual([1280, 800]);
    expect(png.pixel(50, 50).slice(0, 3)).toEqual([255, 0, 0]); // the red box at (0,0)-(100,100)
    expect(png.pixel(150, 50).slice(0, 3)).toEqual([255, 255, 255]);
    const json = await t.json('GET', `${api}/screenshot?encoding=json&fullPage=true`);
    expect(json.body).toMatchObject({ mimeType: 'image/png', scale: 1 });
    expect(decodePng(Buffer.from(json.body.data, 'base64')).width).toBe(json.body.width);
  });

  it('a coordinate click lands on the same element as the ref click', async () => {
    const snap = await t.json('GET', `${api}/snapshot`);
    const byRef = await post('click', { ref: refOf(snap.body.snapshot, 'button "count me"') });
    expect(byRef.body.diff).toContain('button "clicked 1"');
    // The button's box is (200,20)-(320,60) in CSS pixels; the screenshot's scale is 1.
    const byPoint = await post('actions', { actions: [{ type: 'click', x: 260, y: 40 }, { type: 'screenshot' }] });
    expect(byPoint.status).toBe(200);
    expect(byPoint.body.diff).toContain('button "clicked 2"');
    expect(byPoint.body.screenshot).toMatchObject({ width: 1280, height: 800, scale: 1 });
  });

  it('refuses a stale ref, a non-http scheme and a wait that cannot end, with typed errors', async () => {
    const stale = await post('click', { ref: 'e9999' });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('stale_ref');
    for (const url of ['file:///etc/passwd', 'chrome://settings', 'javascript:alert(1)', 'data:text/html,hi']) {
      const bad = await post('navigate', { url });
      expect(bad.status, url).toBe(400);
      expect(bad.body.error.code).toBe('validation_failed');
    }
    const slow = await post('navigate', { url: 'localhost:3000/slow', timeoutMs: 800 });
    expect(slow.status).toBe(504);
    expect(slow.body.error.code).toBe('timeout');
    const wait = await post('wait', { text: 'never on this page', timeoutMs: 300 });
    expect(wait.status).toBe(504);
    expect(wait.body.error.code).toBe('timeout');
  });

  it('keeps a signed-in state (a cookie) across closing and reopening the session', async () => {
    expect((await post('navigate', { url: 'http://localhost:3000/login' })).body.diff).toContain('Signed in');
    const closed = await t.json('DELETE', `${api}/sessions/default`);
    expect(closed.body).toEqual({ closed: true });
    const me = await post('navigate', { url: 'http://localhost:3000/me' });
    expect(me.status).toBe(200);
    expect(me.body.diff).toContain('user s3cret');
  });

  it('sends screenshots to MCP clients as image content', async () => {
    const client = new Client({ name: 'disco-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${t.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${t.token}` } },
      }),
    );
    try {
      const r = await client.callTool({ name: 'browser_screenshot', arguments: { container: 'web' } });
      expect(r.isError).toBeFalsy();
      const content = r.content as Array<{ type: string; data?: string; mimeType?: string }>;
      expect(content[0]).toMatchObject({ type: 'image', mimeType: 'image/png' });
      expect(decodePng(Buffer.from(content[0]?.data as string, 'base64')).height).toBe(800);
      expect(r.structuredContent).toMatchObject({ width: 1280, height: 800, scale: 1 });
      // The URL beside it serves the same image to its owner, and to nobody without a token.
      const link = String((r.structuredContent as { url: string }).url);
      expect(link.startsWith(`${t.url}/api/v1/computer-use/web/screenshots/`)).toBe(true);
      const again = await t.request('GET', link.slice(t.url.length));
      expect(again.headers.get('content-type')).toBe('image/png');
      expect(Buffer.from(await again.arrayBuffer()).toString('base64')).toBe(content[0]?.data);
      expect((await t.request('GET', link.slice(t.url.length), { auth: false })).status).toBe(401);
    } finally {
      await client.close();
    }
  });

  it('is driven from the CLI: disco browser open|snapshot|type|click|press|screenshot|close', async () => {
    const env = { DISCO_URL: t.url, DISCO_TOKEN: t.token, DISCO_HOME: t.home };
    const open = await disco(['browser', 'open', 'web', '3000'], env);
    expect(open.code, open.stderr).toBe(0);
    expect(open.stdout).toContain('Test app — http://localhost:3000/');
    const snap = await disco(['browser', 'snapshot', 'web', '--find', 'Your name', '--json'], env);
    expect(snap.stdout, snap.stderr).toContain('textbox');
    const field = refOf(JSON.parse(snap.stdout).snapshot, 'textbox "Your name"');
    expect((await disco(['browser', 'type', 'web', field, 'Grace', '--submit'], env)).stdout).toContain(
      'Hello, Grace!',
    );
    expect((await disco(['browser', 'press', 'web', 'Tab'], env)).code).toBe(0);
    const file = path.join(t.home, 'shot.png');
    const shot = await disco(['browser', 'screenshot', 'web', '-o', file], env);
    expect(shot.stdout).toContain('1280×800 image/png');
    expect(decodePng(readFileSync(file)).pixel(10, 10).slice(0, 3)).toEqual([255, 0, 0]);
    expect((await disco(['browser', 'close', 'web'], env)).stdout).toContain('closed');
    const stale = await disco(['browser', 'click', 'web', 'e9999'], env);
    expect(stale.code).not.toBe(0);
  });

  it('restarts a browser that died on the next call', async () => {
    expect((await post('navigate', { url: '3000' })).status).toBe(200);
    // Kill the container's Chromium from outside (its main process: the one with the DevTools flag).
    const victims = readdirSync('/proc').filter((p) => {
      try {
        const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
        return cmd.includes('--remote-debugging-port=0') && cmd.includes('--user-data-dir=/run/disco/browser/');
      } catch {
        return false;
      }
    });
    expect(victims.length).toBeGreaterThan(0);
    for (const pid of victims) process.kill(Number(pid), 'SIGKILL');
    let again = await post('navigate', { url: '3000' });
    // The call that finds it dying may fail (typed); the next one starts a fresh browser.
    if (again.status !== 200) {
      expect(again.body.error.code).toBe('unavailable');
      again = await post('navigate', { url: '3000' });
    }
    expect(again.status).toBe(200);
    expect(again.body.title).toBe('Test app');
  });
});

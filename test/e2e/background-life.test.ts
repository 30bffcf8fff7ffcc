import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { cookiePair, DEV_SERVER, raw } from '../helpers/preview-app.js';
import { heartbeat, isBeating, startsBeating, stopsBeating } from '../helpers/procs.js';

const HOUR = 3_600_000;
let t: TestDaemon;

beforeAll(async () => {
  // Small timeouts: a command may ask for at most 2 s. The dev server the docs start in the background
  // must outlive that (it used to be killed at the maximum, ten minutes by default).
  t = await startTestDaemon({
    DISCO_SANDBOX: 'none',
    DISCO_EXEC_TIMEOUT_MS: '1000',
    DISCO_EXEC_MAX_TIMEOUT_MS: '2000',
    DISCO_IDLE_STOP_MINUTES: '60',
  });
}, 30_000);
afterAll(() => t.stop());

async function container(name: string): Promise<{ id: string; beat: () => Promise<string | undefined> }> {
  const id = (await t.json('POST', '/api/v1/containers', { name })).body.id as string;
  return { id, beat: () => readFile(path.join(t.home, 'containers', id, 'beat'), 'utf8').catch(() => undefined) };
}

async function processStatus(container: string, id: string): Promise<string | undefined> {
  const h = await t.json('GET', `/api/v1/terminal/history?container=${container}`);
  return h.body.processes?.find((p: { id: string }) => p.id === id)?.status;
}

async function until(check: () => Promise<boolean>, ms = 8000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

describe('background commands', () => {
  it('outlive the largest timeout a caller may ask for; one given a timeout still ends at it', async () => {
    const c = await container('long');
    const bg = await t.json('POST', '/api/v1/terminal/execute', {
      container: 'long',
      command: heartbeat('beat'),
      shell: true,
      background: true,
    });
    expect(bg.body.running).toBe(true);
    expect(await startsBeating(c.beat)).toBe(true);
    await new Promise((r) => setTimeout(r, 2600));
    expect(await processStatus('long', bg.body.processId)).toBe('running');
    expect(await isBeating(c.beat)).toBe(true);

    const timed = await t.json('POST', '/api/v1/terminal/execute', {
      container: 'long',
      command: ['sleep', '30'],
      background: true,
      timeoutMs: 200,
    });
    expect(await until(async () => (await processStatus('long', timed.body.processId)) === 'timed_out')).toBe(true);
    const tooLong = await t.json('POST', '/api/v1/terminal/execute', {
      container: 'long',
      command: ['true'],
      background: true,
      timeoutMs: 2001,
    });
    expect(tooLong.status).toBe(400);
    await t.json('POST', `/api/v1/terminal/processes/${bg.body.processId}/kill`, {});
  });

  it('alone are no use of their container: the idle stop ends them; a command someone waits for is', async () => {
    const lone = await container('lone');
    const bg = await t.json('POST', '/api/v1/terminal/execute', {
      container: 'lone',
      command: heartbeat('beat'),
      shell: true,
      background: true,
    });
    expect(bg.body.running).toBe(true);
    expect(await startsBeating(lone.beat)).toBe(true);
    const waited = await container('waited');
    // Foreground, returned after `wait`: the caller follows it and it ends at its timeout.
    const fg = await t.json('POST', '/api/v1/terminal/execute', {
      container: 'waited',
      command: heartbeat('beat'),
      shell: true,
      wait: 50,
      timeoutMs: 2000,
    });
    expect(fg.body.running).toBe(true);

    const swept = await t.daemon.reaper.sweep(Date.now() + 2 * HOUR);
    expect(swept.stopped).toContain(lone.id);
    expect(swept.stopped).not.toContain(waited.id);
    expect(await stopsBeating(lone.beat)).toBe(true);
    expect(await isBeating(waited.beat)).toBe(true);
  });
});

describe('previews count as use', () => {
  let id: string;
  let port: number;
  let cookie: string;
  const lastUsed = () =>
    (t.daemon.db.prepare('SELECT last_used_at FROM containers WHERE id = ?').pluck().get(id) as number) ?? 0;

  beforeAll(async () => {
    id = (await container('web')).id;
    const s = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => s.once('listening', r));
    port = (s.address() as net.AddressInfo).port;
    await new Promise((r) => s.close(r));
    await t.json('POST', '/api/v1/terminal/execute', {
      container: 'web',
      command: ['node', '-e', DEV_SERVER, String(port)],
      background: true,
    });
    expect(
      await until(async () =>
        (await t.json('GET', '/api/v1/containers/web/ports')).body.ports.some((p: { port: number }) => p.port === port),
      ),
    ).toBe(true);
    const link = await t.json('POST', `/api/v1/containers/web/ports/${port}/preview`);
    const token = new URL(link.body.url).searchParams.get('disco_link');
    const redeemed = await raw(t.url, `/preview/${id}/${port}/?disco_link=${token}`);
    cookie = cookiePair(redeemed.headers['set-cookie']);
  }, 30_000);

  it('a request through the preview marks its container used', async () => {
    const before = Date.now() - 2 * HOUR;
    t.daemon.db.prepare('UPDATE containers SET last_used_at = ? WHERE id = ?').run(before, id);
    const res = await raw(t.url, `/preview/${id}/${port}/page`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(lastUsed()).toBeGreaterThan(before + HOUR);
  });

  it('an open preview WebSocket (live reload) keeps its container in use; closed, it idles', async () => {
    const ws = new WebSocket(`${t.url.replace('http:', 'ws:')}/preview/${id}/${port}/hmr`, { headers: { cookie } });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    expect((await t.daemon.reaper.sweep(Date.now() + 2 * HOUR)).stopped).not.toContain(id);
    ws.close();
    expect(await until(async () => (await t.daemon.reaper.sweep(Date.now() + 2 * HOUR)).stopped.includes(id))).toBe(
      true,
    );
  });
});

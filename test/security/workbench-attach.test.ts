import { existsSync } from 'node:fs';
import path from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { loadConfig } from '../../src/daemon/config.js';
import { AttachTokens } from '../../src/daemon/webcontainer/attach-token.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { STANDIN_ENV } from '../helpers/webcontainer-fixture.js';

// A page is hostile input: these tests play a page by hand over Socket.IO (no browser needed).
type Frame = { t: string; [k: string]: unknown };

function connect(d: TestDaemon, token: string, origin: string = d.url) {
  const socket = io(`${d.url}/workbench`, {
    auth: { attach: token },
    transports: ['websocket'],
    reconnection: false,
    extraHeaders: { origin },
  });
  const frames: Frame[] = [];
  socket.on('d', (f: Frame) => frames.push(f));
  const outcome = new Promise<{ ok: true } | { ok: false; code?: string; message: string }>((resolve) => {
    socket.on('connect', () => resolve({ ok: true }));
    socket.on('connect_error', (e: Error & { data?: { code?: string; message?: string } }) =>
      resolve({ ok: false, ...(e.data?.code ? { code: e.data.code } : {}), message: e.data?.message ?? e.message }),
    );
  });
  return { socket, frames, outcome };
}

const waitFor = async (frames: Frame[], pred: (f: Frame) => boolean, ms = 5000): Promise<Frame> => {
  const deadline = Date.now() + ms;
  for (;;) {
    const f = frames.find(pred);
    if (f) return f;
    if (Date.now() > deadline) throw new Error(`no frame: ${JSON.stringify(frames.map((x) => x.t))}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('workbench attach: who may attach a page, and what a page may send', () => {
  let d: TestDaemon;
  let id: string;
  const sockets: Socket[] = [];
  const link = async (container = id) =>
    new URL((await d.json('POST', `/api/v1/containers/${container}/workbench`, {})).body.url).hash.replace(
      '#attach=',
      '',
    );

  beforeAll(async () => {
    d = await startTestDaemon(STANDIN_ENV);
    id = (await d.json('POST', '/api/v1/containers', { name: 'web', runtime: 'webcontainer' })).body.id;
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await d?.stop();
  });

  it('refuses a page from another origin, and one with no Origin', async () => {
    const token = await link();
    // Another site's page: the daemon's Host/Origin guard refuses the handshake itself.
    const evil = connect(d, token, 'https://evil.example');
    sockets.push(evil.socket);
    expect((await evil.outcome).ok).toBe(false);
    expect(d.daemon.services.workbench?.attachedTo(id)).toBeUndefined();
    // No Origin at all (not a browser page; socket.io-client always sends one, so raw engine.io frames).
    const ws = new WebSocket(`${d.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    const reply = await new Promise<string>((resolve, reject) => {
      ws.on('message', (m) => {
        const text = m.toString();
        if (text.startsWith('0')) ws.send(`40/workbench,${JSON.stringify({ attach: token })}`);
        if (text.startsWith('44/workbench')) resolve(text);
      });
      ws.on('error', reject);
    });
    ws.close();
    expect(JSON.parse(reply.slice(reply.indexOf(',') + 1))).toMatchObject({ data: { code: 'forbidden' } });
    expect(d.daemon.services.workbench?.attachedTo(id)).toBeUndefined();
  });

  it('refuses an expired attach token, an API token and a citation link', async () => {
    const tokens = d.daemon.services.workbench?.tokens as unknown as {
      keys: ConstructorParameters<typeof AttachTokens>[0];
    };
    const keys = tokens.keys;
    const stale = await new AttachTokens(keys, -60).sign({ userId: 'admin', containerId: id });
    const expired = connect(d, stale);
    sockets.push(expired.socket);
    expect(await expired.outcome).toMatchObject({
      ok: false,
      code: 'unauthorized',
      message: expect.stringContaining('expired'),
    });
    const api = connect(d, d.token);
    sockets.push(api.socket);
    expect(await api.outcome).toMatchObject({ ok: false, code: 'unauthorized' });
    const view = await d.daemon.services.viewLinks?.sign({ userId: 'admin', containerId: id, path: 'a' });
    const viewed = connect(d, view as string);
    sockets.push(viewed.socket);
    expect(await viewed.outcome).toMatchObject({ ok: false, code: 'unauthorized' });
  });

  it('lets one page attach, refuses a second (attached elsewhere), and lets the daemon win a conflict', async () => {
    const first = connect(d, await link());
    sockets.push(first.socket);
    expect(await first.outcome).toEqual({ ok: true });
    await waitFor(first.frames, (f) => f.t === 'files' && f.done === true);
    first.socket.emit('p', { t: 'ready' });
    const second = connect(d, await link());
    sockets.push(second.socket);
    expect(await second.outcome).toMatchObject({
      ok: false,
      code: 'conflict',
      message: expect.stringContaining('attached elsewhere'),
    });

    // The daemon writes the file; the page, not having seen that revision yet, writes it too.
    await d.json('PUT', `/api/v1/containers/${id}/files/content`, { path: 'race.txt', content: 'daemon' });
    const pushed = await waitFor(first.frames, (f) => f.t === 'put' && f.path === 'race.txt');
    expect(pushed.rev).toBeGreaterThan(0);
    first.socket.emit('p', {
      t: 'fs',
      changes: [{ op: 'put', path: 'race.txt', rev: 0, data: Buffer.from('page').toString('base64') }],
    });
    const told = await waitFor(first.frames, (f) => f.t === 'conflict' && f.path === 'race.txt');
    expect(told.message).toContain('daemon');
    await waitFor(first.frames, (f) => f.t === 'put' && f.path === 'race.txt' && f.conflict === true);
    const read = await d.json('GET', `/api/v1/containers/${id}/files/content?path=race.txt`);
    expect(read.body.content).toBe('daemon');

    // A change at the current revision is applied.
    first.socket.emit('p', {
      t: 'fs',
      changes: [
        { op: 'put', path: 'race.txt', rev: pushed.rev, data: Buffer.from('page wins now').toString('base64') },
      ],
    });
    for (let i = 0; i < 50; i++) {
      const r = await d.json('GET', `/api/v1/containers/${id}/files/content?path=race.txt`);
      if (r.body.content === 'page wins now') break;
      await new Promise((res) => setTimeout(res, 50));
    }
    expect((await d.json('GET', `/api/v1/containers/${id}/files/content?path=race.txt`)).body.content).toBe(
      'page wins now',
    );
  });

  it('drops page changes naming paths outside the workspace', async () => {
    const hub = d.daemon.services.workbench;
    const a = hub?.attachedTo(id);
    expect(a).toBeDefined();
    const containersDir = d.daemon.services.config.containersDir;
    const data = Buffer.from('escaped').toString('base64');
    const socketOf = sockets.find((s) => s.connected) as Socket;
    socketOf.emit('p', { t: 'fs', changes: [{ op: 'put', path: '../escape.txt', rev: 0, data }] });
    socketOf.emit('p', { t: 'fs', changes: [{ op: 'put', path: '/tmp/escape.txt', rev: 0, data }] });
    socketOf.emit('p', { t: 'fs', changes: [{ op: 'put', path: 'ok/../../escape.txt', rev: 0, data }] });
    socketOf.emit('p', { t: 'fs', changes: [{ op: 'put', path: 'inside.txt', rev: 0, data }] });
    for (let i = 0; i < 50; i++) {
      if ((await d.json('GET', `/api/v1/containers/${id}/files/content?path=inside.txt`)).status === 200) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    expect((await d.json('GET', `/api/v1/containers/${id}/files/content?path=inside.txt`)).status).toBe(200);
    expect(existsSync(path.join(containersDir, 'escape.txt'))).toBe(false);
    expect(existsSync('/tmp/escape.txt')).toBe(false);
  });
});

describe('a page that cannot boot its runtime', () => {
  it('is let go, and commands say why', async () => {
    const d = await startTestDaemon(STANDIN_ENV);
    try {
      const c = (await d.json('POST', '/api/v1/containers', { name: 'boot', runtime: 'webcontainer' })).body.id;
      const url = (await d.json('POST', `/api/v1/containers/${c}/workbench`, {})).body.url as string;
      const page = connect(d, new URL(url).hash.replace('#attach=', ''));
      expect(await page.outcome).toEqual({ ok: true });
      page.socket.emit('p', { t: 'boot_failed', message: 'the page is not cross-origin isolated' });
      await new Promise<void>((resolve) => page.socket.on('disconnect', () => resolve()));
      const r = await d.json('POST', '/api/v1/terminal/execute', { container: c, command: ['node', '-v'] });
      expect(r.status).toBe(503);
      expect(r.body.error.message).toContain('the page is not cross-origin isolated');
      page.socket.close();
    } finally {
      await d.stop();
    }
  });
});

describe('the webcontainer stand-in is for tests only', () => {
  it('refuses DISCO_WEBCONTAINER_STANDIN unless NODE_ENV=test', () => {
    for (const NODE_ENV of ['production', 'development', undefined]) {
      expect(() =>
        loadConfig({
          DISCO_HOME: '/tmp/disco-standin-check',
          DISCO_WEBCONTAINER_STANDIN: '1',
          ...(NODE_ENV ? { NODE_ENV } : {}),
        }),
      ).toThrow(/test-only setting/);
    }
    expect(
      loadConfig({ DISCO_HOME: '/tmp/disco-standin-check', DISCO_WEBCONTAINER_STANDIN: '1', NODE_ENV: 'test' })
        .webcontainerStandin,
    ).toBe(true);
    expect(loadConfig({ DISCO_HOME: '/tmp/disco-standin-check' }).webcontainerStandin).toBe(false);
  });
});

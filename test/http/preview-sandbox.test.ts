import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { cookiePair, DEV_SERVER, raw } from '../helpers/preview-app.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

const hasBwrap = requireSystem('bubblewrap', hasCommand('bwrap', ['--version']));
const PORT = 3000;
const DOMAIN = 'preview.test';

describe.runIf(hasBwrap)('previews of sandboxed containers (own network namespace)', () => {
  let t: TestDaemon;
  const ids: Record<string, string> = {};
  const hostOf = (c: string, port = PORT) => `${port}--${c.slice('ctr_'.length)}.${DOMAIN}`;

  async function openCookie(name: string, form: 'path' | 'host', port = PORT): Promise<string> {
    const r = await t.json('POST', `/api/v1/containers/${name}/ports/${port}/preview`);
    expect(r.status).toBe(200);
    const token = new URL(r.body.url).searchParams.get('disco_link');
    const id = ids[name] as string;
    const res =
      form === 'path'
        ? await raw(t.url, `/preview/${id}/${port}/?disco_link=${token}`)
        : await raw(t.url, `/?disco_link=${token}`, { headers: { host: hostOf(id, port) } });
    expect(res.status).toBe(303);
    return cookiePair(res.headers['set-cookie']);
  }

  beforeAll(async () => {
    t = await startTestDaemon({
      DISCO_SANDBOX: 'bwrap',
      DISCO_PREVIEW_DOMAIN: DOMAIN,
      DISCO_ALLOW_HOST_NETWORK: 'true',
    });
    for (const name of ['s1', 's2']) {
      ids[name] = (await t.json('POST', '/api/v1/containers', { name })).body.id;
      const r = await t.json('POST', '/api/v1/terminal/execute', {
        container: name,
        command: ['node', '-e', DEV_SERVER, String(PORT)],
        background: true,
      });
      expect(r.status).toBe(200);
    }
    for (const name of ['s1', 's2']) {
      const end = Date.now() + 15_000;
      for (;;) {
        const l = await t.json('GET', `/api/v1/containers/${name}/ports`);
        if (l.body.ports?.some((p: { port: number }) => p.port === PORT)) break;
        if (Date.now() > end) throw new Error(`${name} never listened: ${JSON.stringify(l.body)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }, 60_000);
  afterAll(() => t.stop());

  it('two containers serve the same port at once; a second exec of the same container reaches it', async () => {
    const probe = `require('http').get('http://127.0.0.1:${PORT}/x', (r) => { let d = ''; r.on('data', (c) => d += c); r.on('end', () => console.log(JSON.parse(d).url)); })`;
    const r = await t.json('POST', '/api/v1/terminal/execute', { container: 's1', command: ['node', '-e', probe] });
    expect(r.body.stdout.trim()).toBe('/x');
    const ports = await t.json('GET', '/api/v1/containers/s2/ports');
    expect(ports.body.ports.map((p: { port: number }) => p.port)).toContain(PORT);
  });

  it('serves each container through the path and host forms, WebSocket included', async () => {
    for (const name of ['s1', 's2']) {
      const id = ids[name] as string;
      const cookie = await openCookie(name, 'path');
      const res = await raw(t.url, `/preview/${id}/${PORT}/hello`, { headers: { cookie } });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ port: PORT, url: '/hello' });
      expect(res.headers['content-security-policy']).toContain('sandbox');
      const hostCookie = await openCookie(name, 'host');
      const viaHost = await raw(t.url, '/h', { headers: { cookie: hostCookie, host: hostOf(id) } });
      expect(JSON.parse(viaHost.body).url).toBe('/h');
      const echo = await new Promise<string>((resolve, reject) => {
        const ws = new WebSocket(`${t.url.replace('http:', 'ws:')}/preview/${id}/${PORT}/hmr`, { headers: { cookie } });
        ws.on('open', () => ws.send(name));
        ws.on('message', (m) => {
          resolve(String(m));
          ws.close();
        });
        ws.on('unexpected-response', (_q, r) => reject(new Error(`status ${r.statusCode}`)));
        ws.on('error', reject);
      });
      expect(echo).toBe(`echo:${name}`);
    }
  });

  it("the daemon's own port is not reachable from a preview (nothing listens there in the container)", async () => {
    const r = await t.json('POST', `/api/v1/containers/s1/ports/${t.daemon.port}/preview`);
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('port_closed');
    const share = await t.json('POST', `/api/v1/containers/s1/ports/${t.daemon.port}/shares`, {});
    const token = new URL(share.body.url).searchParams.get('disco_share');
    const open = await raw(t.url, `/preview/${ids.s1}/${t.daemon.port}/?disco_share=${token}`);
    const through = await raw(t.url, `/preview/${ids.s1}/${t.daemon.port}/api/v1/containers`, {
      headers: { cookie: cookiePair(open.headers['set-cookie']), accept: 'application/json' },
    });
    expect(through.status).toBe(409);
    expect(JSON.parse(through.body).error.code).toBe('port_closed');
  });

  it('a host-network container (bwrap, mode host) is reached only on ports its own processes hold', async () => {
    const id = (await t.json('POST', '/api/v1/containers', { name: 'h1', network: 'host' })).body.id as string;
    ids.h1 = id;
    const net = await import('node:net');
    const free = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => free.once('listening', r));
    const port = (free.address() as { port: number }).port;
    await new Promise((r) => free.close(r));
    await t.json('POST', '/api/v1/terminal/execute', {
      container: 'h1',
      command: ['node', '-e', DEV_SERVER, String(port)],
      background: true,
    });
    const end = Date.now() + 15_000;
    let listed: { port: number }[] = [];
    while (Date.now() < end && !listed.some((p) => p.port === port)) {
      listed = (await t.json('GET', '/api/v1/containers/h1/ports')).body.ports ?? [];
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(listed.map((p) => p.port)).toContain(port);
    expect(listed.map((p) => p.port)).not.toContain(t.daemon.port);
    const cookie = await openCookie('h1', 'path', port);
    const res = await raw(t.url, `/preview/${id}/${port}/via-host`, { headers: { cookie } });
    expect(JSON.parse(res.body).url).toBe('/via-host');
    const daemon = await t.json('POST', `/api/v1/containers/h1/ports/${t.daemon.port}/preview`);
    expect(daemon.body.error.code).toBe('port_closed');
  });
});

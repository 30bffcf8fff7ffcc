import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { disco } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { cookiePair, DEV_SERVER, raw } from '../helpers/preview-app.js';

let t: TestDaemon;
let a: string; // container ids
let b: string;
let portA: number;
let portB: number;
const DOMAIN = 'preview.test';

async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function serve(container: string, port: number): Promise<void> {
  const r = await t.json('POST', '/api/v1/terminal/execute', {
    container,
    command: ['node', '-e', DEV_SERVER, String(port)],
    background: true,
  });
  expect(r.status).toBe(200);
  const end = Date.now() + 10_000;
  while (Date.now() < end) {
    const l = await t.json('GET', `/api/v1/containers/${container}/ports`);
    if (l.body.ports?.some((p: { port: number }) => p.port === port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`port ${port} of ${container} never listened`);
}

const hostOf = (c: string, port: number) => `${port}--${c.slice('ctr_'.length)}.${DOMAIN}`;
const pathOf = (c: string, port: number) => `/preview/${c}/${port}/`;

/** Opens a preview_open link (path or host form) and returns the cookie it sets. */
async function openCookie(c: string, port: number, form: 'path' | 'host'): Promise<string> {
  const r = await t.json('POST', `/api/v1/containers/${c}/ports/${port}/preview`);
  expect(r.status).toBe(200);
  const token = new URL(r.body.url).searchParams.get('disco_link');
  const res =
    form === 'path'
      ? await raw(t.url, `${pathOf(c, port)}?disco_link=${token}`)
      : await raw(t.url, `/?disco_link=${token}`, { headers: { host: hostOf(c, port) } });
  expect(res.status).toBe(303);
  return cookiePair(res.headers['set-cookie']);
}

beforeAll(async () => {
  t = await startTestDaemon({ DISCO_SANDBOX: 'none', DISCO_PREVIEW_DOMAIN: DOMAIN });
  a = (await t.json('POST', '/api/v1/containers', { name: 'pa' })).body.id;
  b = (await t.json('POST', '/api/v1/containers', { name: 'pb' })).body.id;
  portA = await freePort();
  portB = await freePort();
  await serve('pa', portA);
  await serve('pb', portB);
}, 30_000);
afterAll(async () => {
  await t.stop();
});

describe('ports_list', () => {
  it("lists a container's listening ports with process and preview URLs, and only its own", async () => {
    const r = await t.json('GET', `/api/v1/containers/pa/ports`);
    expect(r.status).toBe(200);
    const p = r.body.ports.find((x: { port: number }) => x.port === portA);
    expect(p).toMatchObject({ port: portA, address: '127.0.0.1' });
    expect(p.pid).toBeGreaterThan(0);
    expect(p.command).toContain('node');
    expect(p.urls.path).toBe(`${t.url}/preview/${a}/${portA}/`);
    expect(p.urls.host).toBe(`https://${hostOf(a, portA)}/`);
    expect(r.body.ports.some((x: { port: number }) => x.port === portB || x.port === t.daemon.port)).toBe(false);
  });
});

describe('path form', () => {
  it('refuses without a cookie with a short page, never the API token challenge', async () => {
    const res = await raw(t.url, `${pathOf(a, portA)}x`, { headers: { authorization: `Bearer ${t.token}` } });
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(res.body).toContain('unauthorized');
  });

  it('a preview_open link is single use and sets a preview-only cookie scoped to the container and port', async () => {
    const r = await t.json('POST', `/api/v1/containers/pa/ports/${portA}/preview`);
    expect(r.body.url).not.toContain(t.token);
    const token = new URL(r.body.url).searchParams.get('disco_link');
    const first = await raw(t.url, `${pathOf(a, portA)}page?x=1&disco_link=${token}`);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe(`/preview/${a}/${portA}/page?x=1`);
    const set = String(first.headers['set-cookie']);
    expect(set).toMatch(/^disco_preview=[A-Za-z0-9_-]{40,};/);
    expect(set).toContain(`Path=/preview/${a}/${portA}/`);
    expect(set).toContain('HttpOnly');
    expect(set).toContain('SameSite=Lax');
    expect(set).not.toContain('Domain');
    const again = await raw(t.url, `${pathOf(a, portA)}?disco_link=${token}`);
    expect(again.status).toBe(401);
  });

  it('proxies with the cookie: path, query, body; strips Authorization and the preview cookie; isolating headers', async () => {
    const cookie = await openCookie(a, portA, 'path');
    const res = await raw(t.url, `${pathOf(a, portA)}echo?q=1`, {
      method: 'POST',
      body: 'hello',
      headers: { cookie: `${cookie}; app=1`, authorization: 'Bearer secret', 'content-type': 'text/plain' },
    });
    expect(res.status).toBe(200);
    const got = JSON.parse(res.body);
    expect(got).toMatchObject({ port: portA, url: '/echo?q=1', method: 'POST', body: 'hello' });
    expect(got.headers.authorization).toBeUndefined();
    expect(got.headers.cookie).toBe('app=1');
    expect(got.headers.host).toBe(`localhost:${portA}`);
    expect(got.headers['x-forwarded-prefix']).toBe(`/preview/${a}/${portA}`);
    expect(res.headers['content-security-policy']).toContain('sandbox allow-scripts');
    expect(res.headers['content-security-policy']).not.toContain('allow-same-origin');
    expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
  });

  it("keeps the app's own CSP and adds the sandbox; drops Set-Cookie outside the prefix, Domain ones and forged preview cookies", async () => {
    const cookie = await openCookie(a, portA, 'path');
    const csp = await raw(t.url, `${pathOf(a, portA)}csp`, { headers: { cookie } });
    expect(csp.headers['content-security-policy']).toContain("default-src 'self'");
    expect(csp.headers['content-security-policy']).toContain('sandbox');
    const res = await raw(t.url, `${pathOf(a, portA)}cookies`, { headers: { cookie } });
    const names = (res.headers['set-cookie'] ?? []).map((c) => c.split('=')[0]);
    expect(names.sort()).toEqual(['inside', 'noPath']);
  });

  it("drops Clear-Site-Data in path mode (it would clear the daemon's origin), keeps it on a preview's own origin", async () => {
    const cookie = await openCookie(a, portA, 'path');
    const res = await raw(t.url, `${pathOf(a, portA)}clear`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(res.headers['clear-site-data']).toBeUndefined();
    const hostCookie = await openCookie(a, portA, 'host');
    const own = await raw(t.url, '/clear', { headers: { host: hostOf(a, portA), cookie: hostCookie } });
    expect(own.headers['clear-site-data']).toBe('"*"');
  });

  it("keeps the app's absolute redirects inside the preview", async () => {
    const cookie = await openCookie(a, portA, 'path');
    const res = await raw(t.url, `${pathOf(a, portA)}redirect`, { headers: { cookie } });
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(`/preview/${a}/${portA}/login?next=1`);
  });

  it('redirects a path without the slash after the port', async () => {
    const res = await raw(t.url, `/preview/${a}/${portA}?z=1`);
    expect(res.status).toBe(308);
    expect(res.headers.location).toBe(`/preview/${a}/${portA}/?z=1`);
  });

  it('a cookie for one port or container opens nothing else', async () => {
    const cookie = await openCookie(a, portA, 'path');
    expect((await raw(t.url, pathOf(b, portB), { headers: { cookie } })).status).toBe(401);
    expect((await raw(t.url, pathOf(a, portB), { headers: { cookie } })).status).toBe(401);
  });

  it('applies the DNS-rebinding Host check', async () => {
    const cookie = await openCookie(a, portA, 'path');
    const res = await raw(t.url, pathOf(a, portA), { headers: { cookie, host: 'evil.example' } });
    expect(res.status).toBe(403);
  });
});

describe('host form', () => {
  it('serves every path of the preview host from the app (never the API), cookie host-only, no sandbox', async () => {
    const cookie = await openCookie(a, portA, 'host');
    const res = await raw(t.url, '/api/v1/containers', {
      headers: { host: hostOf(a, portA), cookie, authorization: `Bearer ${t.token}` },
    });
    expect(res.status).toBe(200);
    const got = JSON.parse(res.body);
    expect(got.url).toBe('/api/v1/containers');
    expect(got.headers.authorization).toBeUndefined();
    expect(res.headers['content-security-policy']).toBeUndefined();
    const noCookie = await raw(t.url, '/', { headers: { host: hostOf(a, portA) } });
    expect(noCookie.status).toBe(401);
  });

  it('sets a host-only Lax cookie for the whole preview origin', async () => {
    const r = await t.json('POST', `/api/v1/containers/pa/ports/${portA}/preview`);
    expect(r.body.url.startsWith(`https://${hostOf(a, portA)}/?disco_link=`)).toBe(true);
    const token = new URL(r.body.url).searchParams.get('disco_link');
    const res = await raw(t.url, `/?disco_link=${token}`, { headers: { host: hostOf(a, portA) } });
    const set = String(res.headers['set-cookie']);
    expect(set).toContain('Path=/;');
    expect(set).toContain('SameSite=Lax');
    expect(set).not.toContain('Domain');
  });
});

function wsEcho(url: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => ws.send('ping'));
    ws.on('message', (m) => {
      resolve(String(m));
      ws.close();
    });
    ws.on('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
    ws.on('error', reject);
  });
}

describe('WebSocket', () => {
  it('passes both ways through the path form and the host form', async () => {
    const wsBase = t.url.replace('http:', 'ws:');
    const pathCookie = await openCookie(a, portA, 'path');
    expect(await wsEcho(`${wsBase}${pathOf(a, portA)}hmr`, { cookie: pathCookie })).toBe('echo:ping');
    const hostCookie = await openCookie(a, portA, 'host');
    expect(await wsEcho(`${wsBase}/hmr`, { cookie: hostCookie, host: hostOf(a, portA) })).toBe('echo:ping');
  });

  it('refuses an upgrade without the cookie', async () => {
    const wsBase = t.url.replace('http:', 'ws:');
    await expect(wsEcho(`${wsBase}${pathOf(a, portA)}hmr`, {})).rejects.toThrow('status 401');
  });
});

describe('shares', () => {
  it('close an open WebSocket when revoked (an upgraded connection is checked again, not only at its start)', async () => {
    const r = await t.json('POST', `/api/v1/containers/pa/ports/${portA}/shares`, { expiresIn: 600 });
    const token = new URL(r.body.url).searchParams.get('disco_share');
    const cookie = cookiePair((await raw(t.url, `${pathOf(a, portA)}?disco_share=${token}`)).headers['set-cookie']);
    const ws = new WebSocket(`${t.url.replace('http:', 'ws:')}${pathOf(a, portA)}hmr`, { headers: { cookie } });
    const echoes: string[] = [];
    ws.on('message', (m) => echoes.push(String(m)));
    const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send('one');
    for (const end = Date.now() + 5_000; echoes.length === 0 && Date.now() < end; )
      await new Promise((r) => setTimeout(r, 20));
    expect(echoes).toEqual(['echo:one']);
    expect((await t.json('DELETE', `/api/v1/previews/shares/${r.body.id}`)).status).toBe(200);
    const gone = await Promise.race([closed.then(() => true), new Promise((r) => setTimeout(() => r(false), 5_000))]);
    if (ws.readyState === WebSocket.OPEN) ws.send('two');
    await new Promise((r) => setTimeout(r, 300));
    ws.terminate();
    expect(echoes).toEqual(['echo:one']);
    expect(gone).toBe(true);
  });

  it('work for anyone holding the link until revoked', async () => {
    const r = await t.json('POST', `/api/v1/containers/pa/ports/${portA}/shares`, { expiresIn: 600 });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ container: a, port: portA, status: 'active' });
    const token = new URL(r.body.url).searchParams.get('disco_share');
    const open = await raw(t.url, `${pathOf(a, portA)}?disco_share=${token}`);
    expect(open.status).toBe(303);
    const cookie = cookiePair(open.headers['set-cookie']);
    expect((await raw(t.url, pathOf(a, portA), { headers: { cookie } })).status).toBe(200);
    const list = await t.json('GET', `/api/v1/previews/shares?container=pa`);
    expect(list.body.shares.map((s: { id: string }) => s.id)).toContain(r.body.id);
    expect(JSON.stringify(list.body)).not.toContain(token);

    const rev = await t.json('DELETE', `/api/v1/previews/shares/${r.body.id}`);
    expect(rev.status).toBe(200);
    expect(rev.body.status).toBe('revoked');
    expect((await raw(t.url, pathOf(a, portA), { headers: { cookie } })).status).toBe(401);
    expect((await raw(t.url, `${pathOf(a, portA)}?disco_share=${token}`)).status).toBe(401);
    const twice = await t.json('DELETE', `/api/v1/previews/shares/${r.body.id}`);
    expect(twice.status).toBe(409);
    expect((await t.json('DELETE', '/api/v1/previews/shares/shr_nope')).status).toBe(404);
  });
});

describe('port announcements', () => {
  it('exec and process_output results carry the ports listening while the command runs, with URLs', async () => {
    const port = await freePort();
    const r = await t.json('POST', '/api/v1/terminal/execute', {
      container: 'pa',
      command: ['node', '-e', DEV_SERVER, String(port)],
      wait: 1500,
    });
    expect(r.body.running).toBe(true);
    expect(r.body.ports).toContainEqual({ port, url: `https://${hostOf(a, port)}/` });
    const out = await t.json('GET', `/api/v1/terminal/processes/${r.body.processId}/output`);
    expect(out.body.ports).toContainEqual({ port, url: `https://${hostOf(a, port)}/` });
    await t.json('POST', `/api/v1/terminal/processes/${r.body.processId}/kill`, {});
  });

  it('the process stream sends `event: port` when a port opens', async () => {
    const port = await freePort();
    const r = await t.json('POST', '/api/v1/terminal/execute', {
      container: 'pa',
      command: ['sh', '-c', `sleep 0.5; exec node -e "$0" ${port}`, DEV_SERVER],
      background: true,
    });
    const res = await t.request('GET', `/api/v1/terminal/stream?processId=${r.body.processId}`);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    const end = Date.now() + 8000;
    while (!text.includes(`"port":${port}`) && Date.now() < end) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await reader.cancel();
    expect(text).toContain(`event: port\ndata: {"port":${port},"open":true,"url":"https://${hostOf(a, port)}/"}`);
    await t.json('POST', `/api/v1/terminal/processes/${r.body.processId}/kill`, {});
  });
});

describe('CLI', () => {
  it('`disco ports` prints the table, `disco preview` the link, --share/--list/--revoke manage shares', async () => {
    const env = { DISCO_URL: t.url, DISCO_TOKEN: t.token, DISCO_HOME: t.home };
    const ports = await disco(['ports', 'pa'], env);
    expect(ports.code).toBe(0);
    expect(ports.stdout).toMatch(new RegExp(`${portA}\\s+127\\.0\\.0\\.1\\s+\\d+\\s+node`));
    const link = await disco(['preview', 'pa', String(portA)], env);
    expect(link.code).toBe(0);
    const url = new URL(link.stdout.split('\n')[0] ?? '');
    expect(url.searchParams.get('disco_link')).toBeTruthy();
    const share = await disco(['preview', 'pa', String(portA), '--share', '--expires', '2h', '--json'], env);
    const created = JSON.parse(share.stdout);
    expect(Date.parse(created.expiresAt) - Date.now()).toBeGreaterThan(7000_000);
    expect((await disco(['preview', 'pa', '--list'], env)).stdout).toContain(created.id);
    expect((await disco(['preview', '--revoke', created.id], env)).stdout).toContain(`revoked ${created.id}`);
    const closed = await disco(['preview', 'pa', '1'], env);
    expect(closed.code).not.toBe(0);
    expect(closed.stderr).toContain('port_closed');
  }, 90_000);
});

describe('refused targets', () => {
  it("another container's port and the daemon's own port are port_closed, even with a valid grant", async () => {
    for (const port of [portB, t.daemon.port]) {
      const open = await t.json('POST', `/api/v1/containers/pa/ports/${port}/preview`);
      expect(open.status).toBe(409);
      expect(open.body.error.code).toBe('port_closed');
      const share = await t.json('POST', `/api/v1/containers/pa/ports/${port}/shares`, {});
      const token = new URL(share.body.url).searchParams.get('disco_share');
      const res = await raw(t.url, `${pathOf(a, port)}?disco_share=${token}`);
      const cookie = cookiePair(res.headers['set-cookie']);
      const through = await raw(t.url, `${pathOf(a, port)}api/v1/containers`, {
        headers: { cookie, accept: 'application/json' },
      });
      expect(through.status).toBe(409);
      expect(JSON.parse(through.body).error.code).toBe('port_closed');
    }
  });

  it('bad input: typed errors', async () => {
    expect((await t.json('POST', '/api/v1/containers/pa/ports/0/preview')).status).toBe(400);
    expect((await t.json('POST', '/api/v1/containers/pa/ports/70000/preview')).status).toBe(400);
    expect((await t.json('POST', '/api/v1/containers/nope/ports/3000/preview')).status).toBe(404);
    expect((await t.json('GET', '/api/v1/containers/nope/ports')).status).toBe(404);
    expect((await raw(t.url, `/preview/${a}/99999/`)).status).toBe(400);
    expect((await raw(t.url, `/preview/${a}/abc/`)).status).toBe(400);
    expect((await raw(t.url, `/preview/ctr_unknown/3000/`)).status).toBe(401);
  });

  it('a stopped container: typed errors, nothing started', async () => {
    const cookie = await openCookie(b, portB, 'path');
    expect((await t.json('POST', '/api/v1/containers/pb/stop')).status).toBe(200);
    const res = await raw(t.url, pathOf(b, portB), { headers: { cookie, accept: 'application/json' } });
    expect(res.status).toBe(409);
    const ports = await t.json('GET', '/api/v1/containers/pb/ports');
    expect(ports.status).toBe(409);
    expect((await t.json('GET', '/api/v1/containers/pb')).body.status).toBe('stopped');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PortEvent } from '../../src/daemon/sandbox/container-net.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { cookiePair, raw } from '../helpers/preview-app.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

const enabled =
  requireSystem('bubblewrap', hasCommand('bwrap', ['--version'])) &&
  requireSystem('python3', hasCommand('python3', ['--version']));

/**
 * Port announcements of a container in its own network namespace (the default `egress` mode): the
 * supervisor polls the namespace's sockets and reports each port opening and closing, which the daemon
 * passes on to the process stream. The dev server is Python's, to show nothing here is Node-specific.
 */
describe.runIf(enabled)('ports of a live sandbox, announced by its supervisor', () => {
  let t: TestDaemon;
  let id: string;
  const events: PortEvent[] = [];
  let offPort: (() => void) | undefined;
  const exec = async (command: string[], extra: Record<string, unknown> = {}) =>
    (await t.json('POST', '/api/v1/terminal/execute', { container: 'py', command, timeoutMs: 20_000, ...extra })).body;
  const waitFor = async (check: () => boolean, ms = 15_000) => {
    const end = Date.now() + ms;
    while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    return check();
  };

  beforeAll(async () => {
    t = await startTestDaemon({ DISCO_SANDBOX: 'bwrap' });
    id = (await t.json('POST', '/api/v1/containers', { name: 'py' })).body.id;
    offPort = t.daemon.services.nets.onPort((e) => {
      if (e.containerId === id) events.push(e);
    });
  });
  afterAll(async () => {
    offPort?.();
    await t?.stop();
  });

  it('reports a Python server opening and closing its port, which a second exec and the preview reach', async () => {
    const server = await exec(['python3', '-m', 'http.server', '8000', '--bind', '127.0.0.1'], { background: true });
    expect(server.running, JSON.stringify(server)).toBe(true);
    const opened = () => events.find((e) => e.port === 8000 && e.open);
    expect(await waitFor(() => opened() !== undefined)).toBe(true);
    expect(opened()?.pid).toEqual(expect.any(Number));

    const listed = (await t.json('GET', '/api/v1/containers/py/ports')).body.ports;
    expect(listed).toContainEqual(expect.objectContaining({ port: 8000, command: expect.stringMatching(/^python/) }));

    // A second command of the same container reaches it on its own loopback.
    const probe = await exec([
      'python3',
      '-c',
      "import urllib.request as u; print(u.urlopen('http://127.0.0.1:8000/').status)",
    ]);
    expect(probe.stdout.trim()).toBe('200');

    // And the path-form preview serves it (through the supervisor's dial into the namespace).
    const link = await t.json('POST', '/api/v1/containers/py/ports/8000/preview');
    expect(link.status).toBe(200);
    const token = new URL(link.body.url).searchParams.get('disco_link');
    const landed = await raw(t.url, `/preview/${id}/8000/?disco_link=${token}`);
    expect(landed.status).toBe(303);
    const page = await raw(t.url, `/preview/${id}/8000/`, {
      headers: { cookie: cookiePair(landed.headers['set-cookie']) },
    });
    expect(page.status).toBe(200);
    expect(page.body).toContain('Directory listing');

    await t.json('POST', `/api/v1/terminal/processes/${server.processId}/kill`, {});
    expect(await waitFor(() => events.some((e) => e.port === 8000 && !e.open))).toBe(true);
    const after = (await t.json('GET', '/api/v1/containers/py/ports')).body.ports;
    expect(after.map((p: { port: number }) => p.port)).not.toContain(8000);
    const closed = await t.json('POST', '/api/v1/containers/py/ports/8000/preview');
    expect(closed.status).toBe(409);
    expect(closed.body.error.code).toBe('port_closed');
  });

  it('the process stream of a sandboxed command sends `event: port` when its server starts listening', async () => {
    const r = await exec(['sh', '-c', 'sleep 0.5; exec python3 -m http.server 8001 --bind 127.0.0.1'], {
      background: true,
    });
    expect(r.running).toBe(true);
    const res = await t.request('GET', `/api/v1/terminal/stream?processId=${r.processId}`);
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    const end = Date.now() + 15_000;
    while (!text.includes('"port":8001') && Date.now() < end) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await reader.cancel();
    expect(text).toMatch(/event: port\ndata: \{"port":8001,"open":true,"url":"[^"]*\/preview\/ctr_\w+\/8001\/"\}/);
    await t.json('POST', `/api/v1/terminal/processes/${r.processId}/kill`, {});
  });
  it('lists every listening port when they fill more than one read of /proc/net/tcp (and connections follow them)', async () => {
    // 40 listeners (a read returns at most ~27 lines of 150 bytes) and an open connection to one of them:
    // the supervisor reads as far as the listening sockets, so all of them must still be there.
    const script = [
      'import socket, time',
      'ls = []',
      'for p in range(9100, 9140):',
      '    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
      "    s.bind(('127.0.0.1', p)); s.listen(); ls.append(s)",
      "c = socket.create_connection(('127.0.0.1', 9100)); a = ls[0].accept()",
      "print('up', flush=True)",
      'time.sleep(60)',
    ].join('\n');
    const server = await exec(['python3', '-c', script], { background: true });
    expect(server.running, JSON.stringify(server)).toBe(true);
    let ports: number[] = [];
    const all = Array.from({ length: 40 }, (_, i) => 9100 + i);
    const end = Date.now() + 15_000;
    while (ports.length < all.length && Date.now() < end) {
      const listed = (await t.json('GET', '/api/v1/containers/py/ports')).body.ports as { port: number }[];
      ports = listed.map((p) => p.port).filter((p) => p >= 9100 && p < 9140);
      if (ports.length < all.length) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ports.sort((a, b) => a - b)).toEqual(all);
    await t.json('POST', `/api/v1/terminal/processes/${server.processId}/kill`, {});
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { hostProcessesOf, waitUntil } from '../helpers/procs.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

const hasBwrap = requireSystem('bubblewrap', hasCommand('bwrap', ['--version']));

/** A dev server answering every request with `name`, on `port` of the container's loopback. */
const server = (name: string, port: number) =>
  `node -e "require('http').createServer((q,s)=>s.end('${name}')).listen(${port},'127.0.0.1')"`;
/** A client of the container's loopback: prints the answer, or the error code. */
const client = (port: number, host = '127.0.0.1') =>
  `node -e "require('http').get('http://${host}:${port}/',r=>{let b='';r.on('data',d=>b+=d);r.on('end',()=>console.log(b))}).on('error',e=>console.log(e.code))"`;
/** A raw TCP connect: `connected` or the error code. */
const connect = (port: number, host: string) =>
  `node -e "require('net').connect(${port},'${host}').on('connect',()=>{console.log('connected');process.exit(0)}).on('error',e=>{console.log(e.code);process.exit(0)})"`;

/** Host pid of a container's supervisor (its command line names the container). */
function supervisorPid(containerId: string): number | undefined {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv[0]?.endsWith('node') && argv[1]?.endsWith('supervisor.cjs') && argv[2]?.includes(containerId))
        return Number(pid);
    } catch {
      // exited
    }
  }
  return undefined;
}

describe.runIf(hasBwrap)('live sandboxes: one per running container', () => {
  let t: TestDaemon;
  const ids: Record<string, string> = {};
  const run = async (container: string, command: string, extra: Record<string, unknown> = {}) =>
    (
      await t.json('POST', '/api/v1/terminal/execute', {
        container,
        command,
        shell: true,
        timeoutMs: 20_000,
        ...extra,
      })
    ).body;
  /** Polls the client until the background server answers (it needs a moment to listen). */
  const fetchFrom = async (container: string, port: number) => {
    let out = '';
    for (let i = 0; i < 50; i++) {
      out = (await run(container, client(port))).stdout?.trim() ?? '';
      if (out && out !== 'ECONNREFUSED') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return out;
  };

  beforeAll(async () => {
    t = await startTestDaemon({ DISCO_SANDBOX: 'bwrap' });
    for (const name of ['alpha', 'beta']) ids[name] = (await t.json('POST', '/api/v1/containers', { name })).body.id;
    ids.quiet = (await t.json('POST', '/api/v1/containers', { name: 'quiet', network: 'off' })).body.id;
  });
  afterAll(() => t?.stop());

  it('reaches a background dev server from a second exec; two containers serve the same port at once', async () => {
    for (const name of ['alpha', 'beta']) {
      const bg = await run(name, server(name, 3000), { background: true });
      expect(bg.running, JSON.stringify(bg)).toBe(true);
    }
    expect(await fetchFrom('alpha', 3000)).toBe('alpha');
    expect(await fetchFrom('beta', 3000)).toBe('beta');
  });

  it('lists and dials the ports of a container through its supervisor (ContainerNet)', async () => {
    const pool = t.daemon.services.sandboxes;
    expect(pool).toBeDefined();
    if (!pool) return;
    const ports = await pool.listening(ids.alpha as string);
    expect(ports).toContainEqual(expect.objectContaining({ port: 3000, address: '127.0.0.1', command: 'node' }));
    const socket = await pool.connect(ids.alpha as string, 3000);
    socket.write('GET / HTTP/1.0\r\n\r\n');
    const reply = await new Promise<string>((resolve) => {
      let b = '';
      socket.on('data', (d: Buffer) => {
        b += d.toString();
      });
      socket.on('end', () => resolve(b));
    });
    expect(reply).toMatch(/\r\n\r\nalpha$/);
    await expect(pool.connect(ids.alpha as string, 3999)).rejects.toMatchObject({ code: 'port_closed' });
    await expect(pool.connect(ids.quiet as string, 3000)).rejects.toMatchObject({ code: 'port_closed' });
  });

  it('shares /tmp among the commands of one container only', async () => {
    await run('alpha', 'echo shared > /tmp/marker');
    expect((await run('alpha', 'cat /tmp/marker')).stdout).toBe('shared\n');
    expect((await run('beta', 'cat /tmp/marker 2>&1')).stdout).toMatch(/No such file/);
  });

  it('in off mode reaches its own loopback and nothing else', async () => {
    await run('quiet', server('quiet', 3000), { background: true });
    expect(await fetchFrom('quiet', 3000)).toBe('quiet');
    expect((await run('quiet', connect(t.daemon.port, '127.0.0.1'))).stdout.trim()).toBe('ECONNREFUSED');
    expect((await run('quiet', connect(80, '1.1.1.1'))).stdout.trim()).toMatch(/ENETUNREACH|EHOSTUNREACH/);
    expect((await run('quiet', 'cat /proc/net/dev')).stdout).not.toMatch(/eth|ens|enp|wl/);
    // No way out through the egress proxy either: no proxy port inside, no proxy variables.
    expect((await run('quiet', connect(41080, '127.0.0.1'))).stdout.trim()).toBe('ECONNREFUSED');
    expect((await run('quiet', 'echo "[$HTTP_PROXY$HTTPS_PROXY$ALL_PROXY]"')).stdout).toBe('[]\n');
  });

  it('in egress mode does not reach the host loopback either (only the proxy port)', async () => {
    expect((await run('alpha', connect(t.daemon.port, '127.0.0.1'))).stdout.trim()).toBe('ECONNREFUSED');
    expect((await run('alpha', 'echo $HTTPS_PROXY')).stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\n$/);
  });

  it('reports the processes of a killed sandbox as lost, and the next command gets a fresh one', async () => {
    const bg = await run('beta', 'sleep 600', { background: true });
    expect(bg.running).toBe(true);
    const pid = supervisorPid(ids.beta as string);
    expect(pid).toBeDefined();
    process.kill(pid as number, 'SIGKILL');
    const statusOf = async () =>
      (await t.json('GET', '/api/v1/terminal/history?container=beta')).body.processes.find(
        (p: { id: string }) => p.id === bg.processId,
      )?.status;
    let status: string | undefined;
    for (let i = 0; i < 100 && status !== 'lost'; i++) {
      status = await statusOf();
      if (status !== 'lost') await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe('lost');
    const again = await run('beta', 'echo back; cat /tmp/marker 2>&1');
    expect(again.stdout).toMatch(/^back\n.*No such file/s);
    expect(supervisorPid(ids.beta as string)).not.toBe(pid);
  });

  it('ends the sandbox and everything in it when the container stops or is deleted', async () => {
    await run('alpha', 'sleep 600', { background: true });
    expect(hostProcessesOf(ids.alpha as string)).toBeGreaterThanOrEqual(3);
    await t.json('POST', '/api/v1/containers/alpha/stop');
    expect(await waitUntil(() => hostProcessesOf(ids.alpha as string) === 0)).toBe(true);
    expect((await run('alpha', 'echo restarted')).stdout).toBe('restarted\n');
    expect(hostProcessesOf(ids.alpha as string)).toBeGreaterThan(0);
    await t.json('DELETE', '/api/v1/containers/alpha');
    expect(await waitUntil(() => hostProcessesOf(ids.alpha as string) === 0)).toBe(true);
  });

  it('leaves no sandbox behind when the daemon stops', async () => {
    await run('beta', 'sleep 600', { background: true });
    expect(hostProcessesOf(ids.beta as string)).toBeGreaterThan(0);
    const other = await startTestDaemon({ DISCO_SANDBOX: 'bwrap' });
    const id = (await other.json('POST', '/api/v1/containers', { name: 'gone' })).body.id;
    await other.json('POST', '/api/v1/terminal/execute', {
      container: 'gone',
      command: 'sleep 600',
      shell: true,
      background: true,
    });
    expect(hostProcessesOf(id)).toBeGreaterThan(0);
    await other.stop();
    expect(await waitUntil(() => hostProcessesOf(id) === 0)).toBe(true);
  });
});

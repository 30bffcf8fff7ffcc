import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditRepo } from '../../src/daemon/db/audit-repo.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { originServer } from '../helpers/egress.js';
import { canMakeNetns, type NetnsHost, startNetnsHost } from '../helpers/netns.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

const enabled =
  requireSystem('bubblewrap', hasCommand('bwrap', ['--version'])) &&
  requireSystem('network namespaces (root and iproute2)', canMakeNetns()) &&
  requireSystem('curl', hasCommand('curl'));

/**
 * From inside a container in `egress` mode (its own network namespace, no route out), through the
 * supervisor's proxy port and the daemon's egress proxy, with the proxy environment every command gets.
 */
describe.runIf(enabled)('egress from inside a sandboxed container', () => {
  let t: TestDaemon;
  let outside: NetnsHost;
  let hostLoopback: Awaited<ReturnType<typeof originServer>>;
  const run = async (command: string) =>
    (await t.json('POST', '/api/v1/terminal/execute', { container: 'eg', command, shell: true, timeoutMs: 20_000 }))
      .body as { stdout: string; stderr: string; exitCode: number | null };
  /** curl forced through the proxy (`--noproxy ''`: NO_PROXY would keep loopback names inside). */
  const viaProxy = (url: string, extra = '') =>
    run(`curl -sS --noproxy '' -m 8 -o /dev/null -w '%{http_code}' ${extra} '${url}'; echo " rc=$?"`);

  beforeAll(async () => {
    outside = await startNetnsHost();
    hostLoopback = await originServer();
    t = await startTestDaemon();
    const created = await t.json('POST', '/api/v1/containers', { name: 'eg' });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await t?.stop();
    await hostLoopback?.close();
    await outside?.stop();
  });

  it('reaches an allowed outside host through the proxy: plain HTTP, CONNECT and SOCKS5', async () => {
    const url = `http://${outside.address}:${outside.port}`;
    const plain = await run(`curl -sS -m 8 ${url}/plain`);
    expect(plain.stdout).toBe(`hello from the outside ${outside.address}:${outside.port} /plain`);
    const tunnel = await run(`curl -sS -m 8 -p ${url}/tunnel`);
    expect(tunnel.stdout).toBe(`hello from the outside ${outside.address}:${outside.port} /tunnel`);
    const socks = await run(`curl -sS -m 8 -x "$ALL_PROXY" ${url}/socks`);
    expect(socks.stdout).toBe(`hello from the outside ${outside.address}:${outside.port} /socks`);
    const env = await run('echo "$HTTPS_PROXY $ALL_PROXY $NO_PROXY"');
    expect(env.stdout.trim()).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+ socks5h:\/\/127\.0\.0\.1:\d+ localhost,127\.0\.0\.1,::1$/,
    );
  });

  it("refuses the daemon's port, a host loopback listener, private and metadata addresses and `localhost`", async () => {
    for (const url of [
      `http://127.0.0.1:${t.daemon.port}/health`,
      `http://localhost:${t.daemon.port}/health`,
      `http://127.0.0.1:${hostLoopback.port}/`,
      `http://localhost:${hostLoopback.port}/`,
      `http://[::ffff:127.0.0.1]:${hostLoopback.port}/`,
      `http://${outside.hostSide}:${t.daemon.port}/health`,
      'http://10.0.0.1/',
      'http://192.168.1.1/',
      'http://169.254.169.254/latest/meta-data/',
    ]) {
      expect((await viaProxy(url)).stdout.trim(), url).toBe('403 rc=0');
      const tunnelled = await viaProxy(url, '-p');
      expect(tunnelled.stdout, url).toMatch(/^000 rc=56/); // curl: CONNECT answered 403
    }
    const rows = new AuditRepo(t.daemon.db).list({ action: 'egress.connect', limit: 200 });
    expect(rows.some((r) => r.outcome === 'denied' && r.detail?.host === 'localhost')).toBe(true);
    expect(rows.some((r) => r.outcome === 'ok' && r.detail?.address === outside.address)).toBe(true);
  });

  it('reaches nothing without the proxy: no route out, and its loopback is its own', async () => {
    const direct = await run(
      `curl -sS --noproxy '*' -m 5 -o /dev/null http://${outside.address}:${outside.port}/; echo "rc=$?"`,
    );
    expect(direct.stdout.trim()).not.toBe('rc=0');
    const loop = await run(`curl -sS -m 5 -o /dev/null http://127.0.0.1:${t.daemon.port}/health; echo "rc=$?"`);
    expect(loop.stdout.trim()).toBe('rc=7'); // NO_PROXY keeps 127.0.0.1 inside: nothing listens there
  });
});

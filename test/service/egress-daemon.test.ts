import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditRepo } from '../../src/daemon/db/audit-repo.js';
import { egressEnv } from '../../src/daemon/egress/env.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { connectVia, eventually, originServer, proxyListener } from '../helpers/egress.js';

describe("the daemon's egress proxy", () => {
  let d: TestDaemon;
  let listener: Awaited<ReturnType<typeof proxyListener>>;
  let origin: Awaited<ReturnType<typeof originServer>>;
  beforeAll(async () => {
    // Loopback is opened on purpose: the daemon's own port must stay refused all the same.
    d = await startTestDaemon({ DISCO_EGRESS_ALLOW_CIDRS: '127.0.0.0/8', DISCO_EGRESS_DENY_DOMAINS: '*.blocked.test' });
    listener = await proxyListener(d.daemon.services.egress, 'c-daemon');
    origin = await originServer();
  });
  afterAll(async () => {
    await listener?.close();
    await origin?.close();
    await d?.stop();
  });

  it("refuses the daemon's own port on loopback and on every host address, even with loopback allowed", async () => {
    const hosts = [
      '127.0.0.1',
      'localhost',
      '[::ffff:127.0.0.1]',
      '0.0.0.0',
      ...Object.values(os.networkInterfaces())
        .flat()
        .filter((a) => a?.family === 'IPv4')
        .map((a) => a?.address as string),
    ];
    for (const host of hosts) {
      const r = await connectVia(listener.port, `${host}:${d.daemon.port}`);
      expect(r.status, host).toBe(403);
    }
    // The allow-CIDR itself works for other loopback ports.
    const ok = await connectVia(listener.port, `127.0.0.1:${origin.port}`);
    expect(ok.status).toBe(200);
    ok.socket?.destroy();
  });

  it('writes one audit row per connection and Prometheus counters', async () => {
    const refused = await connectVia(listener.port, `x.blocked.test:443`);
    expect(refused.status).toBe(403);
    const audit = new AuditRepo(d.daemon.db);
    await eventually(() => audit.list({ action: 'egress.connect', limit: 100 }).some((r) => r.outcome === 'ok'));
    const rows = audit.list({ action: 'egress.connect', limit: 100 });
    const denied = rows.find((r) => r.detail?.host === 'x.blocked.test');
    expect(denied).toMatchObject({ target: 'c-daemon', outcome: 'denied', via: 'egress' });
    expect(denied?.detail).toMatchObject({ port: 443, code: 'denied_domain', protocol: 'connect' });
    expect(rows.some((r) => r.outcome === 'ok' && r.detail?.address === '127.0.0.1')).toBe(true);
    const text = await d.daemon.metrics.registry.metrics();
    expect(text).toMatch(
      /disco_egress_connections_total\{protocol="connect",outcome="refused",code="denied_domain"\} 1/,
    );
    expect(text).toMatch(/disco_egress_connections_total\{protocol="connect",outcome="ok",code=""\} 1/);
    expect(text).toMatch(/disco_egress_bytes_total\{direction="up"\}/);
  });

  it('gives sandboxed commands one proxy port for HTTP and SOCKS', () => {
    const env = egressEnv(3128);
    expect(env).toMatchObject({
      HTTP_PROXY: 'http://127.0.0.1:3128',
      https_proxy: 'http://127.0.0.1:3128',
      ALL_PROXY: 'socks5h://127.0.0.1:3128',
      NO_PROXY: 'localhost,127.0.0.1,::1',
      npm_config_https_proxy: 'http://127.0.0.1:3128',
      PIP_PROXY: 'http://127.0.0.1:3128',
    });
  });
});

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditRepo } from '../../src/daemon/db/audit-repo.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

const enabled = requireSystem('bubblewrap and curl', hasCommand('bwrap', ['--version']) && hasCommand('curl'));

/**
 * A container's own egress lists, enforced by the daemon's proxy for commands in its live sandbox. The
 * test host is an HTTP server on this host's loopback, which the proxy reaches only because the daemon is
 * told to allow 127.0.0.1/32 (any container may reach it unless its own lists say otherwise).
 */
describe.runIf(enabled)("a container's own egress domain lists", () => {
  let t: TestDaemon;
  let origin: http.Server;
  let url: string;

  /** The HTTP status curl gets for `target` from inside the container (through HTTP_PROXY), and its body. */
  const fetchFrom = async (container: string, target: string) => {
    const r = await t.json('POST', '/api/v1/terminal/execute', {
      container,
      // NO_PROXY names loopback (the container's own): this test host is the daemon's loopback, via the proxy.
      command: `env -u NO_PROXY -u no_proxy curl -sS -m 8 -w '\\n%{http_code}' '${target}'`,
      shell: true,
      timeoutMs: 20_000,
    });
    const lines = String(r.body.stdout).trim().split('\n');
    return { status: lines.pop(), body: lines.join('\n') };
  };

  beforeAll(async () => {
    origin = http.createServer((_req, res) => res.end('hello from the test host'));
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(origin.address() as AddressInfo).port}/`;
    t = await startTestDaemon({
      DISCO_SANDBOX: 'bwrap',
      DISCO_EGRESS_ALLOW_CIDRS: '127.0.0.1/32',
      DISCO_EGRESS_DENY_DOMAINS: '*.blocked.test',
    });
  });
  afterAll(async () => {
    await t?.stop();
    await new Promise((r) => origin?.close(r));
  });

  it('are set at create, returned, and refused when malformed (nothing created)', async () => {
    const created = await t.json('POST', '/api/v1/containers', {
      name: 'narrow',
      egress: { deny: ['127.0.0.1', '*.Example.COM'] },
    });
    expect(created.status).toBe(201);
    expect(created.body.egress).toEqual({ allow: [], deny: ['127.0.0.1', '*.example.com'] });
    expect((await t.json('POST', '/api/v1/containers', { name: 'open' })).body.egress).toEqual({
      allow: [],
      deny: [],
    });
    for (const egress of [{ deny: ['http://x.com'] }, { allow: ['a b'] }, { deny: 'x.com' }, { other: [] }]) {
      const bad = await t.json('POST', '/api/v1/containers', { name: 'bad', egress });
      expect(bad.status, JSON.stringify(egress)).toBe(400);
      expect(bad.body.error.code).toBe('validation_failed');
    }
    expect((await t.json('GET', '/api/v1/containers/bad')).status).toBe(404);
  });

  it('refuse a denied destination from inside the container while another container reaches it', async () => {
    expect(await fetchFrom('open', url)).toEqual({ status: '200', body: 'hello from the test host' });
    const denied = await fetchFrom('narrow', url);
    expect(denied.status).toBe('403');
    expect(denied.body).toMatch(/denied by policy/);
    expect((await fetchFrom('narrow', 'http://api.example.com/')).status).toBe('403');
    const audit = new AuditRepo(t.daemon.db);
    const narrow = (await t.json('GET', '/api/v1/containers/narrow')).body.id;
    const rows = audit.list({ action: 'egress.connect', limit: 100 }).filter((r) => r.target === narrow);
    expect(rows.some((r) => r.outcome === 'denied' && r.detail?.code === 'denied_domain')).toBe(true);
  });

  it('apply a change to the next connection of a running sandbox; an allow list narrows to its names', async () => {
    const allowOther = await t.json('PATCH', '/api/v1/containers/open', { egress: { allow: ['example.org'] } });
    expect(allowOther.status).toBe(200);
    expect(allowOther.body.egress).toEqual({ allow: ['example.org'], deny: [] });
    const refused = await fetchFrom('open', url);
    expect(refused.status).toBe('403');
    expect(refused.body).toMatch(/not in the allow list/);
    // A list not given stays; an empty list given clears it.
    const kept = await t.json('PATCH', '/api/v1/containers/open', { egress: { deny: ['*.example.net'] } });
    expect(kept.body.egress).toEqual({ allow: ['example.org'], deny: ['*.example.net'] });
    await t.json('PATCH', '/api/v1/containers/open', { egress: { allow: ['127.0.0.1'] } });
    expect((await fetchFrom('open', url)).status).toBe('200');
  });

  it('cannot widen the global policy: the daemon deny list holds whatever the container allows', async () => {
    const r = await t.json('PATCH', '/api/v1/containers/open', { egress: { allow: ['x.blocked.test', '127.0.0.1'] } });
    expect(r.status).toBe(200);
    const blocked = await fetchFrom('open', 'http://x.blocked.test/');
    expect(blocked.status).toBe('403');
    expect(blocked.body).toMatch(/denied by policy/);
  });
});

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

const enabled =
  requireSystem('bubblewrap', hasCommand('bwrap', ['--version'])) &&
  requireSystem('chromium', existsSync('/usr/lib/chromium/chromium') || existsSync('/usr/bin/chromium'));

const SECRET = 'host-only-secret-7f3a';

/** A host service that must stay out of reach: answers SECRET to anyone who gets through. */
async function hostService(host: string): Promise<{ port: number; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server = http.createServer((_req, res) => {
    hits++;
    res.setHeader('content-type', 'text/html');
    res.end(`<title>${SECRET}</title><h1>${SECRET}</h1>`);
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return {
    port: (server.address() as AddressInfo).port,
    hits: () => hits,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A non-loopback address of this host (the daemon's port is not bound there; the service is). */
function hostAddress(): string | undefined {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

/**
 * The browser of a container is the container's: an attacker-controlled page (or model) in it reaches
 * only what the container's commands reach — never the daemon, a host loopback service, the host's other
 * addresses — and no process of it holds root.
 */
describe.runIf(enabled)('a container browser cannot reach the host', () => {
  let t: TestDaemon;
  let loopback: Awaited<ReturnType<typeof hostService>>;
  let anyAddress: Awaited<ReturnType<typeof hostService>>;
  // biome-ignore lint/suspicious/noExplicitAny: tests assert on arbitrary JSON shapes
  const navigate = async (container: string, url: string): Promise<{ status: number; body: any }> =>
    t.json('POST', `/api/v1/computer-use/${container}/navigate`, { url, timeoutMs: 10_000 });
  const page = async (container: string) =>
    (await t.json('GET', `/api/v1/computer-use/${container}/snapshot?budget=5000`)).body as {
      url: string;
      snapshot: string;
      title: string;
    };

  beforeAll(async () => {
    loopback = await hostService('127.0.0.1');
    anyAddress = await hostService('0.0.0.0');
    t = await startTestDaemon({ DISCO_ALLOW_HOST_NETWORK: 'true' });
    expect((await t.json('POST', '/api/v1/containers', { name: 'attacker' })).status).toBe(201);
  });
  afterAll(async () => {
    await t?.stop();
    await loopback?.close();
    await anyAddress?.close();
  });

  it("cannot open the daemon's own URL", async () => {
    for (const url of [`${t.url}/health`, `http://localhost:${t.daemon.port}/api/v1/containers`]) {
      const r = await navigate('attacker', url);
      // Connection refused (nothing listens on that port of the container's loopback): a typed error.
      expect(r.status, url).toBe(503);
      expect(r.body.error.message).toMatch(/ERR_CONNECTION_REFUSED/);
      const seen = await page('attacker');
      expect(seen.snapshot).not.toMatch(/"status"|containers|disco/i);
    }
  });

  it('cannot open a host loopback service, nor one on the host’s other addresses', async () => {
    const urls = [
      `http://127.0.0.1:${loopback.port}/`,
      `http://localhost:${loopback.port}/`,
      `http://[::1]:${loopback.port}/`,
      `http://127.0.0.1:${anyAddress.port}/`,
    ];
    const address = hostAddress();
    if (address) urls.push(`http://${address}:${anyAddress.port}/`);
    for (const url of urls) {
      await navigate('attacker', url);
      const seen = await page('attacker');
      expect(`${seen.title}\n${seen.snapshot}`, url).not.toContain(SECRET);
    }
    expect(loopback.hits()).toBe(0);
    expect(anyAddress.hits()).toBe(0);
  });

  it('runs Chromium as the unprivileged sandbox uid, never root, with its profile outside the workspace', async () => {
    const pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
    const browsers = pids.filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('--user-data-dir=/run/disco/browser/');
      } catch {
        return false;
      }
    });
    expect(browsers.length).toBeGreaterThan(0);
    for (const p of browsers) {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      const uids = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(status)?.slice(1).map(Number) ?? [0];
      expect(uids.every((u) => u !== 0)).toBe(true);
      expect(/^CapEff:\s+0+$/m.test(status)).toBe(true);
    }
    const files = await t.json('GET', '/api/v1/containers/attacker/files?path=.&all=true');
    expect(JSON.stringify(files.body)).not.toMatch(/Cookies|Default|browser/);
  });

  it("refuses a browser to a container on the host's network", async () => {
    const created = await t.json('POST', '/api/v1/containers', { name: 'hostnet', network: 'host' });
    expect(created.status).toBe(201);
    const r = await navigate('hostnet', `http://127.0.0.1:${loopback.port}/`);
    expect(r.status).toBe(403);
    expect(loopback.hits()).toBe(0);
  });

  it('refuses non-web schemes that would read files or run script', async () => {
    for (const url of ['file:///etc/shadow', 'view-source:http://localhost:1/', 'chrome://version', 'about:blank']) {
      const r = await navigate('attacker', url);
      expect(r.status, url).toBe(400);
    }
  });
});

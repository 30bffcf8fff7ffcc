import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { workbenchTestsEnabled } from '../helpers/webcontainer-fixture.js';

/** A loopback port nothing listens on (taken, then let go). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

// The real @webcontainer/api (no stand-in) boots by loading a hidden frame from the runtime's origin and
// waiting for its first message; when that frame cannot load, it waits for ever. A command then waited
// 30 s and answered "the workbench page did not become ready in time", naming neither the cause nor the URL.
describe.runIf(workbenchTestsEnabled())('a runtime the browser cannot reach', () => {
  let d: TestDaemon;
  let origin: string;
  beforeAll(async () => {
    origin = `http://127.0.0.1:${await closedPort()}`;
    d = await startTestDaemon({ DISCO_WEBCONTAINER_HEADLESS: 'true', DISCO_WEBCONTAINER_RUNTIME_ORIGIN: origin });
  });
  afterAll(async () => d?.stop());

  it('answers unavailable at once, naming the URL and the network error, and tries again on the next command', async () => {
    const c = await d.json('POST', '/api/v1/containers', { name: 'web', runtime: 'webcontainer' });
    for (let attempt = 0; attempt < 2; attempt++) {
      const t0 = Date.now();
      const r = await d.json('POST', '/api/v1/terminal/execute', { container: c.body.id, command: ['node', '-v'] });
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('unavailable');
      expect(r.body.error.message).toContain(`${origin}/headless`);
      expect(r.body.error.message).toMatch(/ERR_CONNECTION_REFUSED/);
      expect(r.body.error.details).toMatchObject({ url: `${d.url}/workbench/${c.body.id}` });
      expect(Date.now() - t0).toBeLessThan(15_000);
    }
  }, 60_000);

  it('lets the workbench page frame that origin (its CSP) and tells the page where it is', async () => {
    const c = await d.json('POST', '/api/v1/containers', { name: 'web2', runtime: 'webcontainer' });
    const res = await fetch(`${d.url}/workbench/${c.body.id}`);
    expect(res.headers.get('content-security-policy')).toMatch(new RegExp(`frame-src [^;]*${origin}`));
  });
});

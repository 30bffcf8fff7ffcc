import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { STANDIN_ENV, workbenchTestsEnabled } from '../helpers/webcontainer-fixture.js';

describe.runIf(workbenchTestsEnabled())('webcontainer runtime with no tab open', () => {
  describe('headless allowed', () => {
    let d: TestDaemon;
    beforeAll(async () => {
      d = await startTestDaemon({ ...STANDIN_ENV, DISCO_WEBCONTAINER_HEADLESS: 'true' });
    });
    afterAll(async () => d?.stop());

    it('opens the page itself in its headless Chromium, then runs the command there', async () => {
      const c = await d.json('POST', '/api/v1/containers', { name: 'web', runtime: 'webcontainer' });
      expect(c.body.runtime).toBe('webcontainer');
      await d.json('PUT', `/api/v1/containers/${c.body.id}/files/content`, { path: 'hello.txt', content: 'mounted' });
      const r = await d.json('POST', '/api/v1/terminal/execute', {
        container: c.body.id,
        command: ['cat', 'hello.txt'],
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ exitCode: 0, stdout: 'mounted' });
      expect(d.daemon.services.workbench?.attachedTo(c.body.id)?.ready).toBe(true);
      // Stopping the container lets its page go.
      await d.json('POST', `/api/v1/containers/${c.body.id}/stop`, {});
      expect(d.daemon.services.workbench?.attachedTo(c.body.id)).toBeUndefined();
    }, 60_000);

    it('does not count its own headless page as use: an idle container is stopped and the page closed', async () => {
      const c = await d.json('POST', '/api/v1/containers', { name: 'web-idle', runtime: 'webcontainer' });
      const r = await d.json('POST', '/api/v1/terminal/execute', { container: c.body.id, command: ['true'] });
      expect(r.body.exitCode).toBe(0);
      expect(d.daemon.services.workbench?.attachedTo(c.body.id)?.ready).toBe(true);
      const swept = await d.daemon.reaper.sweep(Date.now() + 2 * 3_600_000);
      expect(swept.stopped).toContain(c.body.id);
      expect(d.daemon.services.workbench?.attachedTo(c.body.id)).toBeUndefined();
    }, 60_000);
  });

  describe('headless off', () => {
    let d: TestDaemon;
    beforeAll(async () => {
      d = await startTestDaemon(STANDIN_ENV);
    });
    afterAll(async () => d?.stop());

    it('answers unavailable with the URL to open for commands, and keeps file ops working', async () => {
      const c = await d.json('POST', '/api/v1/containers', { name: 'web', runtime: 'webcontainer' });
      const r = await d.json('POST', '/api/v1/terminal/execute', { container: c.body.id, command: ['node', '-v'] });
      expect(r.status).toBe(503);
      expect(r.body.error).toMatchObject({
        code: 'unavailable',
        message: expect.stringContaining('disco open web'),
        details: { url: `${d.url}/workbench/${c.body.id}` },
      });
      const w = await d.json('PUT', `/api/v1/containers/${c.body.id}/files/content`, { path: 'a.txt', content: 'x' });
      expect(w.status).toBe(200);
      const list = await d.json('GET', `/api/v1/containers/${c.body.id}/files?path=.`);
      expect(list.body.entries.map((e: { path: string }) => e.path)).toContain('a.txt');
    });

    it('serves the page cross-origin isolated with a strict CSP, and lists the runtimes', async () => {
      const res = await d.request('GET', '/workbench/ctr_whatever', { auth: false });
      expect(res.status).toBe(200);
      expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      expect(res.headers.get('cross-origin-resource-policy')).toBe('same-origin');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      const js = await d.request('GET', '/workbench/assets/workbench.js', { auth: false });
      expect(js.status).toBe(200);
      expect(js.headers.get('cross-origin-resource-policy')).toBe('same-origin');
      const caps = await d.json('GET', '/capabilities');
      expect(caps.body.runtimes).toMatchObject({ offered: ['sandbox', 'webcontainer'], default: 'sandbox' });
    });
  });
});

describe('the workbench page outside tests', () => {
  it('gets no eval in its CSP without the stand-in', async () => {
    const d = await startTestDaemon({ DISCO_WEBCONTAINER_HEADLESS: 'false' });
    try {
      const res = await d.request('GET', '/workbench/ctr_x', { auth: false });
      expect(res.headers.get('content-security-policy')).not.toContain('unsafe-eval');
    } finally {
      await d.stop();
    }
  });
});

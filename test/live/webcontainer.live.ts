import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, type WorkbenchStand, workbenchStand } from '../helpers/webcontainer-fixture.js';

/** StackBlitz answers from here (the page's runtime boots from it). */
async function stackblitzReachable(): Promise<boolean> {
  try {
    const res = await fetch('https://stackblitz.com/', { method: 'HEAD', signal: AbortSignal.timeout(8000) });
    return res.status < 500;
  } catch {
    return false;
  }
}

const reachable = await stackblitzReachable();
if (!reachable) process.stderr.write('test:webcontainer:live: StackBlitz is unreachable from here; skipped\n');
if (!CHROMIUM) process.stderr.write('test:webcontainer:live: no Debian Chromium; skipped\n');

describe.runIf(reachable && CHROMIUM)('the webcontainer runtime against the real WebContainer', () => {
  let s: WorkbenchStand;
  let id: string;
  beforeAll(async () => {
    // The real runtime: no stand-in (the daemon runs as in production, the licence key from the environment).
    s = await workbenchStand({
      NODE_ENV: 'production',
      DISCO_WEBCONTAINER_STANDIN: 'false',
      ...(process.env.DISCO_WEBCONTAINER_API_KEY
        ? { DISCO_WEBCONTAINER_API_KEY: process.env.DISCO_WEBCONTAINER_API_KEY }
        : {}),
    });
    id = await s.create('live');
    await s.attach(id);
  });
  afterAll(async () => s?.close());

  const exec = (body: Record<string, unknown>) =>
    s.d.json('POST', '/api/v1/terminal/execute', { container: id, ...body });

  it('runs node -v and node -e with exit codes', async () => {
    expect((await exec({ command: ['node', '-v'] })).body).toMatchObject({
      exitCode: 0,
      stdout: expect.stringMatching(/^v\d+/),
    });
    expect((await exec({ command: ['node', '-e', 'process.exit(3)'] })).body.exitCode).toBe(3);
  });

  it('syncs files both ways', async () => {
    await s.d.json('PUT', `/api/v1/containers/${id}/files/content`, { path: 'a.txt', content: 'from daemon' });
    let seen = '';
    for (let i = 0; i < 50 && seen !== 'from daemon'; i++) {
      seen = (await exec({ command: ['cat', 'a.txt'] })).body.stdout;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(seen).toBe('from daemon');
    await exec({ command: ['node', '-e', "require('fs').writeFileSync('b.txt', 'from page')"] });
    let back: { status: number; body: { content?: string } } = { status: 0, body: {} };
    for (let i = 0; i < 50 && back.status !== 200; i++) {
      back = await s.d.json('GET', `/api/v1/containers/${id}/files/content?path=b.txt`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(back.body.content).toBe('from page');
  });

  it('announces a server with its preview URL', async () => {
    const server = "require('http').createServer((q, r) => r.end('ok')).listen(3000)";
    const r = await exec({ command: ['node', '-e', server], background: true, wait: 5000 });
    expect(r.body.running).toBe(true);
    const ports = await s.d.json('GET', `/api/v1/containers/${id}/ports`);
    expect(ports.body.ports[0]?.urls.path).toMatch(/^https:\/\//);
  });
});

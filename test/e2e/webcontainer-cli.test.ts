import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disco } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { CHROMIUM, STANDIN_ENV, workbenchTestsEnabled } from '../helpers/webcontainer-fixture.js';

// The "done when": create a webcontainer container, open it, run a command and write a file from
// the CLI, and see both in the page.
describe.runIf(workbenchTestsEnabled())('disco with a webcontainer container', () => {
  let d: TestDaemon;
  let env: Record<string, string>;
  beforeAll(async () => {
    d = await startTestDaemon(STANDIN_ENV);
    // No xdg-open on this PATH: `disco open` must still print the URL and succeed.
    env = { DISCO_HOME: d.home, DISCO_URL: d.url, DISCO_TOKEN: d.token, DISCO_KEYCHAIN: 'off', PATH: '/nonexistent' };
  });
  afterAll(async () => d?.stop());

  it('creates it, opens it, runs node -v in the page and shows a written file there', async () => {
    const created = await disco(['containers', 'create', 'web', '--runtime', 'webcontainer'], env);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('runtime webcontainer');
    expect(created.stdout).toContain('disco open web');
    const bad = await disco(['containers', 'create', 'x', '--runtime', 'vm'], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--runtime must be sandbox or webcontainer');

    const open = await disco(['open', 'web'], env);
    expect(open.code).toBe(0);
    const url = /(http:\/\/\S+#attach=\S+)/.exec(open.stdout)?.[1];
    expect(url).toBeDefined();
    const browser = await chromium.launch({ executablePath: CHROMIUM as string, headless: true });
    try {
      const page = await browser.newPage();
      await page.goto(url as string);
      await page.waitForSelector('body[data-ready]', { timeout: 20_000 });
      expect(new URL(page.url()).hash).toBe(''); // the token left the address bar

      const v = await disco(['exec', 'web', '--', 'node', '-v'], env);
      expect(v.code).toBe(0);
      expect(v.stdout).toMatch(/^v\d+\.\d+\.\d+/);
      const w = await disco(['files', 'write', 'web', 'hello.txt'], env, 'hi from the cli');
      expect(w.code).toBe(0);
      let seen = '';
      for (let i = 0; i < 50 && seen !== 'hi from the cli'; i++) {
        seen = (await disco(['exec', 'web', '--', 'cat', 'hello.txt'], env)).stdout;
        if (seen !== 'hi from the cli') await new Promise((r) => setTimeout(r, 100));
      }
      expect(seen).toBe('hi from the cli');
      const git = await disco(['git', 'status', 'web'], env);
      expect(git.code).not.toBe(0);
      expect(git.stderr).toContain('git is not available in the webcontainer runtime');
    } finally {
      await browser.close();
    }
  });
});

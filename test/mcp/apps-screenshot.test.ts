import { execFileSync } from 'node:child_process';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, data, mcpClient } from '../helpers/apps.js';
import { type AppsHost, appsHost, launchBrowser } from '../helpers/apps-host.js';
import { BROWSER_APP, browserTestsEnabled } from '../helpers/browser-app.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

/**
 * The screenshot card in headless Chromium inside an MCP Apps host, fed the results of real computer-use
 * calls (the container's own browser, in its sandbox, on a page the container serves).
 */
describe.runIf(browserTestsEnabled())('MCP Apps screenshot card in a host', () => {
  let t: TestDaemon;
  let client: Client;
  let browser: Browser;
  const container = 'shots';
  const hosts: AppsHost[] = [];
  const host = async (theme: 'light' | 'dark' = 'light') => {
    const h = await appsHost(browser, client, theme);
    hosts.push(h);
    return h;
  };
  /** The natural size of the card's image once it has loaded (0 × 0 until then). */
  const imageSize = (h: AppsHost) =>
    h.view.locator('img.shot').evaluate((img) => {
      const i = img as unknown as { complete: boolean; naturalWidth: number; naturalHeight: number };
      return i.complete ? [i.naturalWidth, i.naturalHeight] : [0, 0];
    });

  beforeAll(async () => {
    execFileSync(process.execPath, ['scripts/build-views.mjs']);
    t = await startTestDaemon();
    client = await mcpClient(t.url, t.token, true);
    browser = await launchBrowser();
    await call(client, 'container_create', { name: container });
    const started = await call(client, 'exec', {
      container,
      command: ['node', '-e', BROWSER_APP, '3000'],
      background: true,
      wait: 2000,
    });
    expect(data(started).stdout).toContain('listening on 3000');
    await call(client, 'browser_navigate', { container, url: '3000' });
  }, 120_000);
  afterAll(async () => {
    for (const h of hosts) await h.close().catch(() => {});
    await browser?.close();
    await client?.close();
    await t?.stop();
  });

  it('browser_screenshot: the image from the result, with the page title and URL, fetching nothing', async () => {
    const args = { container };
    const result = await client.callTool({ name: 'browser_screenshot', arguments: args });
    expect(data(result as never).page).toEqual({ url: 'http://localhost:3000/', title: 'Test app' });
    const h = await host();
    await h.mount('screenshot', 'browser_screenshot', args, result as never);
    await expect.poll(() => imageSize(h)).toEqual([1280, 800]);
    expect(await h.view.locator('header .title').textContent()).toBe('Test app');
    expect(await h.view.locator('header .url').textContent()).toBe('http://localhost:3000/');
    expect(await h.view.locator('img.shot').getAttribute('alt')).toBe('Screenshot of Test app');
    // The page logged an error on load, but this call did not: no error pill, no diff.
    expect(await h.view.locator('.pill').count()).toBe(0);
    expect(h.requests).toEqual([]);
  });

  it('computer_action: the actions done, the diff they caused and the screenshot asked for; dark theme', async () => {
    const args = { container, actions: [{ type: 'click', x: 260, y: 40 }, { type: 'screenshot' }] };
    const result = await client.callTool({ name: 'computer_action', arguments: args });
    expect(result.isError).toBeFalsy();
    const h = await host('dark');
    await h.mount('screenshot', 'computer_action', args, result as never);
    await expect.poll(() => imageSize(h)).toEqual([1280, 800]);
    expect(await h.view.locator('.action').textContent()).toBe('click 260,40 · screenshot');
    expect(await h.view.locator('pre.diff').textContent()).toContain('clicked 1');
    expect(await h.view.locator('html').getAttribute('data-theme')).toBe('dark');
    expect(h.requests).toEqual([]);

    // Without a screenshot step: the card still says what was done and what changed.
    const noShot = { container, actions: [{ type: 'click', x: 260, y: 40 }] };
    const plain = await client.callTool({ name: 'computer_action', arguments: noShot });
    const g = await host();
    await g.mount('screenshot', 'computer_action', noShot, plain as never);
    await expect.poll(() => g.view.locator('pre.diff').textContent()).toContain('clicked 2');
    expect(await g.view.locator('img.shot').count()).toBe(0);
    expect(await g.view.locator('header .title').textContent()).toBe('Test app');
  });

  it('browser_screenshot_get shows the kept image with its page; an error result says why', async () => {
    const first = data(await call(client, 'browser_screenshot', { container }));
    const shot = new URL(first.url).pathname.split('/').pop() as string;
    const args = { container, shot };
    const again = await client.callTool({ name: 'browser_screenshot_get', arguments: args });
    const h = await host();
    await h.mount('screenshot', 'browser_screenshot_get', args, again as never);
    await expect.poll(() => imageSize(h)).toEqual([1280, 800]);
    expect(await h.view.locator('header .title').textContent()).toBe('Test app');

    const missing = { container, shot: 'nope' };
    const failed = await client.callTool({ name: 'browser_screenshot_get', arguments: missing });
    const g = await host();
    await g.mount('screenshot', 'browser_screenshot_get', missing, failed as never);
    await expect.poll(() => g.view.locator('.err').textContent()).toMatch(/screenshot/);
  });
});

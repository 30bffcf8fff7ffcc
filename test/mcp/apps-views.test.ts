import { execFileSync } from 'node:child_process';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, data, mcpClient } from '../helpers/apps.js';
import { type AppsHost, appsHost, hasChromium, launchBrowser } from '../helpers/apps-host.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

/**
 * Every view rendered in headless Chromium inside an MCP Apps host (the ext-apps SDK's AppBridge), fed the
 * result of a real tool call on a real daemon, calling its helper tools back through the bridge.
 */
describe.skipIf(!hasChromium())('MCP Apps views in a host', () => {
  let t: TestDaemon;
  let client: Client;
  let browser: Browser;
  let container: string;
  const hosts: AppsHost[] = [];
  const host = async (theme: 'light' | 'dark' = 'light') => {
    const h = await appsHost(browser, client, theme);
    hosts.push(h);
    return h;
  };
  const sh = async (command: string, extra: Record<string, unknown> = {}) =>
    call(client, 'exec', { container, command, shell: true, ...extra });

  beforeAll(async () => {
    execFileSync(process.execPath, ['scripts/build-views.mjs']);
    t = await startTestDaemon();
    client = await mcpClient(t.url, t.token, true);
    browser = await launchBrowser();
    container = data(await call(client, 'container_create', { name: 'views' })).id;
    await call(client, 'file_write', {
      container,
      path: 'src/app.ts',
      content: "const greeting = 'hello world'; // greet\nexport function f() {\n  return 42;\n}\n",
    });
    await sh('git init -q && git add -A && git -c user.name=t -c user.email=t@example.com commit -qm init');
  }, 120_000);
  afterAll(async () => {
    for (const h of hosts) await h.close().catch(() => {});
    await browser?.close();
    await client?.close();
    await t?.stop();
  });

  it('command: running while the call runs, then output, stderr and exit status', async () => {
    const args = { container, command: 'echo hello; echo oops >&2; exit 3', shell: true };
    const h = await host();
    await h.mount('command', 'exec', args, null);
    await expect.poll(() => h.view.locator('.pill').textContent()).toBe('running');
    const result = await client.callTool({ name: 'exec', arguments: args });
    await h.sendResult(result as never);
    await expect.poll(() => h.view.locator('.pill').textContent()).toBe('exit 3');
    expect(await h.view.locator('header .title').textContent()).toBe('$ echo hello; echo oops >&2; exit 3');
    expect(await h.view.locator('pre.out').textContent()).toContain('hello');
    expect(await h.view.locator('pre.out .err').textContent()).toContain('oops');
    expect(h.requests).toEqual([]);
  });

  it('command: says stdout and stderr are together when the runtime has one stream (stderrMerged)', async () => {
    const args = { container, command: 'echo together', shell: true };
    const h = await host();
    await h.mount('command', 'exec', args, null);
    const result = (await client.callTool({ name: 'exec', arguments: args })) as {
      structuredContent?: Record<string, unknown>;
    };
    // What a webcontainer container answers (its page's runtime gives a process one output stream).
    await h.sendResult({ ...result, structuredContent: { ...result.structuredContent, stderrMerged: true } } as never);
    await expect.poll(() => h.view.locator('.pill').textContent()).toBe('exit 0');
    expect(await h.view.locator('section.muted').textContent()).toContain('stdout and stderr together');
  });

  it('command: follows a background process through ui_process_follow and the Kill button ends it', async () => {
    const args = {
      container,
      command: 'echo started; while true; do echo tick; sleep 0.2; done',
      shell: true,
      background: true,
    };
    const result = await client.callTool({ name: 'exec', arguments: args });
    const id = data(result as never).processId as string;
    const h = await host();
    await h.mount('command', 'exec', args, result as never);
    await expect.poll(() => h.view.locator('.pill').textContent()).toBe('running');
    await expect
      .poll(async () => ((await h.view.locator('pre.out').textContent()) ?? '').split('tick').length - 1)
      .toBeGreaterThanOrEqual(3);
    expect(h.calls.some((c) => c.name === 'ui_process_follow' && c.args.id === id)).toBe(true);

    await h.view.getByRole('button', { name: 'Kill' }).click();
    await expect.poll(() => h.view.locator('.pill').textContent()).toMatch(/^killed/);
    expect(h.calls).toContainEqual({ name: 'process_kill', args: { id } });
    const after = data(await call(client, 'process_output', { id }));
    expect(after).toMatchObject({ running: false, status: 'killed' });
    expect(h.requests).toEqual([]);
  });

  it('file: file_read shows the file highlighted with line numbers', async () => {
    const args = { container, path: 'src/app.ts' };
    const result = await client.callTool({ name: 'file_read', arguments: args });
    const h = await host();
    await h.mount('file', 'file_read', args, result as never);
    await expect.poll(() => h.view.locator('header .title').textContent()).toBe('src/app.ts');
    expect(await h.view.locator('.code .ln').allTextContents()).toEqual(['1', '2', '3', '4']);
    expect(await h.view.locator('.code .k').allTextContents()).toEqual(
      expect.arrayContaining(['const', 'export', 'function', 'return']),
    );
    expect(await h.view.locator('.code .s').first().textContent()).toBe("'hello world'");
    expect(await h.view.locator('.code .c').first().textContent()).toBe('// greet');
    expect(await h.view.locator('.code .n').first().textContent()).toBe('42');

    // fetch (ChatGPT's reader) renders the same way, from its own shape (text + metadata).
    const fArgs = { id: `${container}/src/app.ts` };
    const fetched = await client.callTool({ name: 'fetch', arguments: fArgs });
    const g = await host();
    await g.mount('file', 'fetch', fArgs, fetched as never);
    await expect.poll(() => g.view.locator('header .title').textContent()).toBe('src/app.ts');
    expect(await g.view.locator('.code .k').first().textContent()).toBe('const');
  });

  it('file: after file_write the view asks git_diff and shows the change; git_diff itself renders as a diff', async () => {
    const args = {
      container,
      path: 'src/app.ts',
      content: "const greeting = 'hello disco'; // greet\nexport function f() {\n  return 43;\n}\n",
    };
    const result = await client.callTool({ name: 'file_write', arguments: args });
    const h = await host();
    await h.mount('file', 'file_write', args, result as never);
    await expect.poll(() => h.view.locator('.code .add').count()).toBeGreaterThan(0);
    expect(h.calls).toContainEqual({ name: 'git_diff', args: { container, file: 'src/app.ts' } });
    const added = (await h.view.locator('.tx.add').allTextContents()).join('\n');
    const removed = (await h.view.locator('.tx.del').allTextContents()).join('\n');
    expect(added).toContain("'hello disco'");
    expect(added).toContain('43');
    expect(removed).toContain("'hello world'");
    await h.view.getByRole('button', { name: 'File' }).click();
    expect(await h.view.locator('.code .ln').count()).toBe(4);

    const diffArgs = { container };
    const diff = await client.callTool({ name: 'git_diff', arguments: diffArgs });
    const g = await host('dark');
    await g.mount('file', 'git_diff', diffArgs, diff as never);
    await expect.poll(() => g.view.locator('.tx.hunk').first().textContent()).toBe('src/app.ts');
    expect(await g.view.locator('.tx.add').count()).toBe(2);
    expect(await g.view.locator('.tx.del').count()).toBe(2);
  });

  it('container: files, running processes and open ports; preview opens a link, Kill ends a process', async () => {
    const server = await sh("node -e \"require('http').createServer((q,s)=>s.end('hi')).listen(4173,'127.0.0.1')\"", {
      background: true,
    });
    const sleeper = await sh('sleep 300', { background: true });
    await expect
      .poll(async () =>
        data(await call(client, 'ports_list', { container })).ports.map((p: { port: number }) => p.port),
      )
      .toContain(4173);
    const args = { id: container };
    const result = await client.callTool({ name: 'container_get', arguments: args });
    const h = await host();
    await h.mount('container', 'container_get', args, result as never);
    await expect.poll(() => h.view.getByText(':4173').count()).toBe(1);
    expect(h.calls[0]).toEqual({ name: 'ui_container_overview', args: { container } });
    expect(await h.view.locator('header .title').textContent()).toBe('views');
    expect(await h.view.getByText('src/').count()).toBe(1);
    expect(await h.view.getByText('sleep 300').count()).toBe(1);

    await h.view.getByRole('button', { name: 'Open preview' }).click();
    await expect.poll(() => h.links.length).toBe(1);
    expect(h.links[0]).toContain(`${t.url}/preview/`);
    expect(h.calls).toContainEqual({ name: 'preview_open', args: { container, port: 4173 } });
    // The link works for a person: it redirects into the app the container serves.
    const opened = await fetch(h.links[0] as string, { redirect: 'manual' });
    expect(opened.status).toBeLessThan(400);

    const row = h.view.locator('li', { hasText: 'sleep 300' });
    await row.getByRole('button', { name: 'Kill' }).click();
    await expect.poll(() => h.view.getByText('sleep 300').count()).toBe(0);
    const sleeperId = data(sleeper).processId;
    expect(data(await call(client, 'process_output', { id: sleeperId })).status).toBe('killed');
    await call(client, 'process_kill', { id: data(server).processId });
  });

  it('search: line matches with the query marked; documents previewed through fetch', async () => {
    const args = { container, query: 'greeting' };
    const result = await client.callTool({ name: 'file_search', arguments: args });
    const h = await host();
    await h.mount('search', 'file_search', args, result as never);
    await expect.poll(() => h.view.locator('.hit .path').first().textContent()).toBe('src/app.ts');
    expect(await h.view.locator('mark').first().textContent()).toBe('greeting');
    expect(await h.view.locator('header .muted').textContent()).toBe('1 result');

    const sArgs = { query: 'greeting disco' };
    const docs = await client.callTool({ name: 'search', arguments: sArgs });
    const g = await host();
    await g.mount('search', 'search', sArgs, docs as never);
    await g.view.getByRole('button', { name: 'Preview' }).first().click();
    await expect.poll(() => g.view.locator('.code .k').first().textContent()).toBe('const');
    expect(g.calls[0]?.name).toBe('fetch');

    await call(client, 'rag_index', { container, wait: true });
    const rArgs = { container, query: 'greeting' };
    const chunks = await client.callTool({ name: 'rag_search', arguments: rArgs });
    const r = await host();
    await r.mount('search', 'rag_search', rArgs, chunks as never);
    await expect.poll(() => r.view.locator('.hit .path').first().textContent()).toMatch(/^src\/app\.ts:\d+-\d+$/);
    expect(await r.view.locator('.hit .code .k').first().textContent()).toBe('const');
  });

  it('follows the host theme and reports its size', async () => {
    const args = { container, path: 'src/app.ts' };
    const result = await client.callTool({ name: 'file_read', arguments: args });
    const h = await host('dark');
    await h.mount('file', 'file_read', args, result as never);
    const background = () =>
      h.view
        .locator('#app')
        .evaluate(
          (el) =>
            (
              globalThis as unknown as { getComputedStyle: (e: unknown) => { backgroundColor: string } }
            ).getComputedStyle(el).backgroundColor,
        );
    await expect.poll(() => h.view.locator('html').getAttribute('data-theme')).toBe('dark');
    expect(await background()).toBe('rgb(33, 33, 33)');
    await h.page.evaluate(() =>
      (globalThis as unknown as { setTheme: (t: string) => Promise<void> }).setTheme('light'),
    );
    await expect.poll(background).toBe('rgb(255, 255, 255)');
    expect(await h.page.evaluate(() => (globalThis as unknown as { viewHeight?: number }).viewHeight)).toBeGreaterThan(
      50,
    );
  });
});

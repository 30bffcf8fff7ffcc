import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_MIME, call, data, mcpClient, stdioClient } from '../helpers/apps.js';
import { startTestDaemon, type TestDaemon, tempDir } from '../helpers/daemon.js';

const VIEWED = {
  exec: 'command',
  process_output: 'command',
  file_read: 'file',
  file_write: 'file',
  git_diff: 'file',
  fetch: 'file',
  container_get: 'container',
  container_create: 'container',
  search: 'search',
  file_search: 'search',
  rag_search: 'search',
  browser_screenshot: 'screenshot',
  browser_screenshot_get: 'screenshot',
  computer_action: 'screenshot',
};

let t: TestDaemon;
let plain: Client;
let ui: Client;

beforeAll(async () => {
  execFileSync(process.execPath, ['scripts/build-views.mjs']);
  t = await startTestDaemon();
  plain = await mcpClient(t.url, t.token, false);
  ui = await mcpClient(t.url, t.token, true);
}, 120_000);
afterAll(async () => {
  await plain?.close();
  await ui?.close();
  await t?.stop();
});

describe('MCP Apps (UI extension)', () => {
  it('a client without the UI extension sees no views, no helper tools and no ui:// resources', async () => {
    const { tools } = await plain.listTools();
    expect(tools.filter((tool) => tool._meta !== undefined)).toEqual([]);
    expect(tools.map((tool) => tool.name).filter((n) => n.startsWith('ui_'))).toEqual([]);
    const { resources } = await plain.listResources();
    expect(resources.filter((r) => r.uri.startsWith('ui://'))).toEqual([]);
    await expect(plain.readResource({ uri: 'ui://disco/command.html' })).rejects.toThrow();
    await expect(plain.callTool({ name: 'ui_process_follow', arguments: { id: 'x' } })).rejects.toThrow(/unknown tool/);
  });

  it('ChatGPT (clientInfo openai-mcp) gets the views without declaring the extension; a look-alike name does not', async () => {
    const chatgpt = await mcpClient(t.url, t.token, false, 'openai-mcp');
    const other = await mcpClient(t.url, t.token, false, 'openai-mcp-proxy');
    try {
      const exec = (await chatgpt.listTools()).tools.find((tool) => tool.name === 'exec');
      expect(exec?._meta?.['openai/outputTemplate']).toBe('ui://disco/command.html');
      expect((await chatgpt.listResources()).resources.map((r) => r.uri)).toContain('ui://disco/command.html');
      expect((await other.listTools()).tools.filter((tool) => tool._meta !== undefined)).toEqual([]);
    } finally {
      await chatgpt.close();
      await other.close();
    }
  });

  it('the same tools, schemas and results for both kinds of client, apart from _meta', async () => {
    const [a, b] = [(await plain.listTools()).tools, (await ui.listTools()).tools];
    const strip = ({ _meta, ...tool }: (typeof b)[number]) => tool;
    expect(b.filter((tool) => !tool.name.startsWith('ui_')).map(strip)).toEqual(a);
    const c = data(await call(plain, 'container_create', { name: 'same' }));
    const args = { container: c.id, command: ['echo', 'hi'] };
    const [r1, r2] = [await call(plain, 'exec', args), await call(ui, 'exec', args)];
    expect(Object.keys(r2).sort()).toEqual(Object.keys(r1).sort());
    expect(data(r2).stdout).toBe(data(r1).stdout);
  });

  it('names its view on each viewed tool, with the ChatGPT aliases', async () => {
    const { tools } = await ui.listTools();
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    for (const [name, view] of Object.entries(VIEWED)) {
      const uri = `ui://disco/${view}.html`;
      expect(byName.get(name)?._meta, name).toMatchObject({
        ui: { resourceUri: uri },
        'ui/resourceUri': uri,
        'openai/outputTemplate': uri,
        'openai/toolInvocation/invoking': expect.any(String),
        'openai/toolInvocation/invoked': expect.any(String),
        'openai/widgetAccessible': true,
      });
    }
    expect(tools.filter((tool) => tool._meta?.ui && !(tool.name in VIEWED) && !tool.name.startsWith('ui_'))).toEqual(
      [],
    );
    for (const name of ['ui_process_follow', 'ui_container_overview']) {
      expect(byName.get(name)?._meta).toEqual({
        ui: { visibility: ['app'] },
        'openai/visibility': 'private',
        'openai/widgetAccessible': true,
      });
    }
  });

  it('serves each view as a self-contained mcp-app resource with an empty CSP allow-list', async () => {
    const { resources } = await ui.listResources();
    const views = resources.filter((r) => r.uri.startsWith('ui://'));
    expect(views.map((r) => r.uri).sort()).toEqual(
      ['command', 'container', 'file', 'screenshot', 'search'].map((v) => `ui://disco/${v}.html`),
    );
    for (const r of views) {
      expect(r.mimeType).toBe(APP_MIME);
      const { contents } = await ui.readResource({ uri: r.uri });
      const [content] = contents;
      expect(content).toMatchObject({ uri: r.uri, mimeType: APP_MIME, _meta: { ui: { csp: { connectDomains: [] } } } });
      const html = String((content as { text: string }).text);
      expect(html).toMatch(/^<!doctype html>/);
      // Nothing loaded from anywhere: no src/href attributes, no URLs to fetch, no imports.
      expect(html).not.toMatch(/\s(src|href)=/i);
      expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
      expect(html.length).toBeLessThan(32 * 1024);
    }
  });

  it('app-only helpers go through the ops: scopes, ownership and validation', async () => {
    const c = data(await call(ui, 'container_create', { name: 'helpers' }));
    const overview = data(await call(ui, 'ui_container_overview', { container: c.id }));
    expect(overview).toMatchObject({ container: { id: c.id }, processes: [], ports: [] });
    const bad = await ui.callTool({ name: 'ui_process_follow', arguments: { id: 'nope' } });
    expect(bad.isError).toBe(true);
    expect(JSON.stringify(bad.content)).toContain('not_found');
    const invalid = await ui.callTool({ name: 'ui_process_follow', arguments: { offset: -1 } });
    expect(JSON.stringify(invalid.content)).toContain('validation');

    // A token without `exec` sees no process helper, and the overview leaves processes out rather than failing.
    const pat = await t.json('POST', '/api/v1/tokens', { name: 'read-only', scopes: ['containers', 'files:read'] });
    const scoped = await mcpClient(t.url, pat.body.token, true);
    try {
      const names = (await scoped.listTools()).tools.map((tool) => tool.name);
      expect(names).toContain('ui_container_overview');
      expect(names).not.toContain('ui_process_follow');
      const limited = data(await call(scoped, 'ui_container_overview', { container: c.id }));
      expect(limited).toMatchObject({ container: { id: c.id }, processes: null });
      const refused = await scoped.callTool({ name: 'ui_process_follow', arguments: { id: 'x' } });
      expect(JSON.stringify(refused.content)).toContain('forbidden');
    } finally {
      await scoped.close();
    }
  });

  it('over stdio too: views only for a client that declares the extension', async () => {
    const home = await tempDir('disco-apps-stdio-');
    const [withUi, without] = [await stdioClient(home, true), await stdioClient(home, false)];
    try {
      const exec = (await withUi.listTools()).tools.find((tool) => tool.name === 'exec');
      expect(exec?._meta).toMatchObject({ ui: { resourceUri: 'ui://disco/command.html' } });
      const { contents } = await withUi.readResource({ uri: 'ui://disco/command.html' });
      expect(String((contents[0] as { text: string }).text)).toContain('<div id="app"></div>');
      expect((await without.listTools()).tools.filter((tool) => tool._meta !== undefined)).toEqual([]);
    } finally {
      await withUi.close();
      await without.close();
      await rm(home, { recursive: true, force: true });
    }
  });
});

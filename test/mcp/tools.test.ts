import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPS } from '../../src/daemon/ops/index.js';
import { httpHarness, type McpHarness, stdioHarness } from '../helpers/mcp.js';
import { heartbeat, startsBeating, stopsBeating, waitUntil } from '../helpers/procs.js';

// The same cases run over both transports: the tools and their results must be identical.
describe.each([
  ['Streamable HTTP', httpHarness],
  ['stdio', stdioHarness],
] as const)('MCP over %s', (_name, harness) => {
  let h: McpHarness;
  let containerId: string;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.close());

  const call = async (name: string, args: Record<string, unknown>) =>
    (await h.client.callTool({ name, arguments: args })) as CallToolResult;
  const ok = async (name: string, args: Record<string, unknown>) => {
    const r = await call(name, args);
    expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
    const first = r.content[0];
    expect(first?.type).toBe('text');
    // The text is a short summary for the model, not a second copy of the structured result.
    const text = (first as { text: string }).text;
    expect(text.length).toBeGreaterThan(0);
    if (JSON.stringify(r.structuredContent).length > 600) expect(text).not.toBe(JSON.stringify(r.structuredContent));
    // biome-ignore lint/suspicious/noExplicitAny: results are asserted field by field
    return r.structuredContent as any;
  };
  const errorOf = async (name: string, args: Record<string, unknown>) => {
    const r = await call(name, args);
    expect(r.isError).toBe(true);
    return JSON.parse((r.content[0] as { text: string }).text).error as { code: string; message: string };
  };

  it('lists every op as a tool with a title, output schema and all four annotations', async () => {
    const { tools } = await h.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(OPS.map((op) => op.name).sort());
    for (const tool of tools) {
      expect(tool.title, tool.name).toBeTruthy();
      expect(tool.description?.length, tool.name).toBeGreaterThan(30);
      // Short, and starting with when to use the tool: what a model reads to pick one.
      expect(tool.description, tool.name).toMatch(/^(Admin\. )?Use /);
      expect(tool.description?.length, tool.name).toBeLessThan(450);
      expect(tool.outputSchema?.type, tool.name).toBe('object');
      for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) {
        expect(typeof tool.annotations?.[hint], `${tool.name}.${hint}`).toBe('boolean');
      }
    }
  });

  it('runs the container and file tools for real', async () => {
    const c = await ok('container_create', { name: 'mcp-box', template: 'node' });
    containerId = c.id;
    expect((await ok('container_list', {})).containers.map((x: { id: string }) => x.id)).toContain(c.id);
    expect((await ok('container_get', { id: 'mcp-box' })).id).toBe(c.id);
    expect((await ok('container_templates', {})).templates.length).toBeGreaterThanOrEqual(2);
    const w = await ok('file_write', { container: c.id, path: 'src/app.js', content: 'export const answer = 42;\n' });
    expect(w).toMatchObject({ path: 'src/app.js', created: true });
    expect(await readFile(path.join(h.home, 'containers', c.id, 'src/app.js'), 'utf8')).toBe(
      'export const answer = 42;\n',
    );
    expect((await ok('file_read', { container: c.id, path: 'src/app.js' })).content).toBe(
      'export const answer = 42;\n',
    );
    const listed = await ok('file_list', { container: c.id, recursive: true });
    expect(listed.entries.map((e: { path: string }) => e.path)).toContain('src/app.js');
    const found = await ok('file_search', { container: c.id, query: 'answer' });
    expect(found.matches).toEqual([{ path: 'src/app.js', line: 1, column: 14, text: 'export const answer = 42;' }]);
    expect(await ok('file_move', { container: c.id, from: 'src/app.js', to: 'lib/app.js' })).toMatchObject({
      to: 'lib/app.js',
    });
    const run = await ok('exec', {
      container: c.id,
      command: ['node', '-e', "import('./lib/app.js').then(m => console.log(m.answer))"],
    });
    expect(run).toMatchObject({ exitCode: 0, stdout: '42\n' });
    expect(await ok('file_delete', { container: c.id, path: 'lib', recursive: true })).toMatchObject({ deleted: true });
  });

  it("answers ChatGPT's search and fetch with their exact shapes", async () => {
    await ok('file_write', {
      container: containerId,
      path: 'docs/auth.md',
      content: '# Authentication\nTokens rotate daily.\n',
    });
    const { results } = await ok('search', { query: 'authentication tokens' });
    expect(results[0]).toEqual({
      id: `${containerId}/docs/auth.md`,
      title: 'mcp-box: docs/auth.md',
      // A page a person can open (a short-lived signed link), not the bearer-token API.
      url: expect.stringMatching(/^http:\/\/.+\/view\/ctr_\w+\/docs\/auth\.md\?t=[\w-]+\.[\w-]+\.[\w-]+$/),
    });
    for (const r of results) expect(Object.keys(r).sort()).toEqual(['id', 'title', 'url']);
    const doc = await ok('fetch', { id: results[0].id });
    expect(doc).toMatchObject({
      id: results[0].id,
      title: 'mcp-box: docs/auth.md',
      text: '# Authentication\nTokens rotate daily.\n',
    });
    // Each answer signs its own link (the issue time may tick between the two calls): same page, same path.
    expect(doc.url.split('?')[0]).toBe(results[0].url.split('?')[0]);
    expect((await errorOf('fetch', { id: 'not-an-id' })).code).toBe('validation_failed');
  });

  it('returns op errors as isError results with the REST code, and refuses path escapes', async () => {
    expect((await errorOf('file_read', { container: containerId, path: '../../admin-token' })).code).toBe(
      'path_outside_workspace',
    );
    expect((await errorOf('file_write', { container: containerId, path: '/etc/x', content: 'x' })).code).toBe(
      'path_outside_workspace',
    );
    expect((await errorOf('file_read', { container: containerId })).code).toBe('validation_failed');
    expect((await errorOf('file_list', { container: containerId, depth: 'deep' })).code).toBe('validation_failed');
    expect((await errorOf('exec', { container: containerId, command: 'ls | wc' })).code).toBe('validation_failed');
    expect((await errorOf('container_get', { id: 'ghost' })).code).toBe('not_found');
  });

  it('keeps protocol errors as protocol errors', async () => {
    await expect(h.client.callTool({ name: 'no_such_tool', arguments: {} })).rejects.toMatchObject({ code: -32602 });
  });

  it('lists and reads container files as resources, text and binary', async () => {
    await ok('file_write', {
      container: containerId,
      path: 'bin/blob.bin',
      content: Buffer.from([0, 1, 2, 3]).toString('base64'),
      encoding: 'base64',
    });
    const { resources } = await h.client.listResources();
    const readme = resources.find((r) => r.uri === `disco://containers/${containerId}/files/README.md`);
    expect(readme).toMatchObject({ mimeType: 'text/markdown' });
    const text = await h.client.readResource({ uri: readme?.uri ?? '' });
    expect(text.contents[0]).toMatchObject({ text: expect.stringContaining('mcp-box') });
    const blob = await h.client.readResource({ uri: `disco://containers/${containerId}/files/bin/blob.bin` });
    expect(blob.contents[0]).toMatchObject({ blob: Buffer.from([0, 1, 2, 3]).toString('base64') });
    const templates = await h.client.listResourceTemplates();
    expect(templates.resourceTemplates[0]?.uriTemplate).toBe('disco://containers/{id}/files/{+path}');
    await expect(
      h.client.readResource({ uri: `disco://containers/${containerId}/files/..%2F..%2Fadmin-token` }),
    ).rejects.toThrow();
  });

  it('sends progress for a long exec when asked, and cancellation kills it', async () => {
    const progress: number[] = [];
    const r = (await h.client.callTool(
      { name: 'exec', arguments: { container: containerId, command: ['sleep', '1.3'] } },
      undefined,
      { onprogress: (p) => progress.push(p.progress), timeout: 20_000 },
    )) as CallToolResult;
    expect(r.structuredContent).toMatchObject({ exitCode: 0 });
    expect(progress.length).toBeGreaterThanOrEqual(1);

    const controller = new AbortController();
    const pending = h.client
      .callTool(
        { name: 'exec', arguments: { container: containerId, command: heartbeat('beat'), shell: true } },
        undefined,
        {
          signal: controller.signal,
        },
      )
      .catch((e: Error) => e);
    const beat = () => readFile(path.join(h.home, 'containers', containerId, 'beat'), 'utf8').catch(() => undefined);
    expect(await waitUntil(() => false, 300)).toBe(false);
    expect(await startsBeating(beat)).toBe(true);
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    expect(await stopsBeating(beat)).toBe(true);
  });

  it('honours logging/setLevel', async () => {
    await expect(h.client.setLoggingLevel('debug')).resolves.toBeDefined();
    await expect(h.client.setLoggingLevel('error')).resolves.toBeDefined();
  });

  it('deletes the container, its files and processes', async () => {
    const deleted = await ok('container_delete', { id: containerId });
    expect(deleted).toMatchObject({ id: containerId, status: 'deleted' });
    await expect(readFile(path.join(h.home, 'containers', containerId, 'README.md'))).rejects.toThrow();
    expect((await errorOf('container_get', { id: containerId })).code).toBe('not_found');
  });
});

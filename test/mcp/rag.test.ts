import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpHarness, type McpHarness } from '../helpers/mcp.js';

let h: McpHarness;
let id: string;

// biome-ignore lint/suspicious/noExplicitAny: tool results are arbitrary JSON
const call = async (name: string, args: Record<string, unknown>, extra = {}): Promise<any> => {
  const r = await h.client.callTool({ name, arguments: args }, undefined, extra);
  expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
  return r.structuredContent;
};

beforeAll(async () => {
  h = await httpHarness({ DISCO_POOL_SIZE: '0' });
  id = (await call('container_create', { name: 'mcp-rag' })).id;
  for (let i = 0; i < 40; i++) {
    await call('file_write', {
      container: id,
      path: `lib/mod${i}.ts`,
      content: `/** Module ${i}. */\nexport function handler${i}(input: string): string {\n  return input.trim();\n}\n`,
    });
  }
  await call('file_write', {
    container: id,
    path: 'lib/tokens.ts',
    content: 'export function refreshAccessToken(refreshToken: string) {\n  return fetchNewToken(refreshToken);\n}\n',
  });
});
afterAll(() => h.close());

describe('RAG over MCP', () => {
  it('lists rag_index and rag_search with their annotations', async () => {
    const { tools } = await h.client.listTools();
    const search = tools.find((t) => t.name === 'rag_search');
    expect(search?.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: false });
    expect(tools.find((t) => t.name === 'rag_index')?.inputSchema.properties).toHaveProperty('action');
  });

  it('indexes with progress notifications and searches', async () => {
    const progress: { progress: number; total?: number; message?: string }[] = [];
    const s = await call(
      'rag_index',
      { container: id, wait: true },
      { onprogress: (p: { progress: number; total?: number; message?: string }) => progress.push(p), timeout: 60_000 },
    );
    expect(s).toMatchObject({ state: 'ready', files: 41 });
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)?.total).toBe(41);
    expect(progress.at(-1)?.message).toMatch(/files/);
    const r = await call('rag_search', { container: id, query: 'refresh the access token', k: 3 });
    expect(r.results[0]).toMatchObject({ path: 'lib/tokens.ts', symbol: 'refreshAccessToken' });
  });
});

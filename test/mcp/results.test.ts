import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpHarness, type McpHarness } from '../helpers/mcp.js';

// Model-sized results: every tool result stays under the cap (DISCO_RESULT_MAX_BYTES, default 32 KiB) and a
// cut result says how to get the rest; following `next` returns exactly what was left out.
const CAP = 32 * 1024;

let h: McpHarness;
let container: string;
beforeAll(async () => {
  h = await httpHarness();
  const r = (await h.client.callTool({ name: 'container_create', arguments: { name: 'big' } })) as CallToolResult;
  container = (r.structuredContent as { id: string }).id;
});
afterAll(() => h.close());

// biome-ignore lint/suspicious/noExplicitAny: results are asserted field by field
type Any = any;
const sizeOf = (r: CallToolResult) => Buffer.byteLength(JSON.stringify(r));
const textOf = (r: CallToolResult) => (r.content[0] as { text: string }).text;

async function call(name: string, args: Record<string, unknown>): Promise<{ r: CallToolResult; s: Any }> {
  const r = (await h.client.callTool({ name, arguments: args })) as CallToolResult;
  expect(r.isError, JSON.stringify(r.content).slice(0, 500)).toBeFalsy();
  expect(sizeOf(r)).toBeLessThanOrEqual(CAP);
  return { r, s: r.structuredContent };
}

/** Calls `first`, then each `next` it is given, and returns every structured page. */
async function follow(name: string, args: Record<string, unknown>, until?: (s: Any) => boolean): Promise<Any[]> {
  const pages: Any[] = [];
  let step: { tool: string; arguments: Record<string, unknown> } | undefined = { tool: name, arguments: args };
  for (let i = 0; step && i < 200; i++) {
    const { s } = await call(step.tool, step.arguments);
    pages.push(s);
    step = s.next ?? (until && !until(s) ? { tool: step.tool, arguments: step.arguments } : undefined);
  }
  return pages;
}

const write = (rel: string, data: string | Buffer) => writeFile(path.join(h.home, 'containers', container, rel), data);

describe('model-sized results over MCP', () => {
  it('pages a big text file by lines, and the pages add up to the file', async () => {
    const lines = Array.from({ length: 4000 }, (_, i) => `line ${i + 1}: ${'"quoted" \\ text '.repeat(3)}`);
    const content = `${lines.join('\n')}\n`;
    await write('big.txt', content);
    const { r, s } = await call('file_read', { container, path: 'big.txt' });
    expect(s).toMatchObject({ truncated: true, startLine: 1, encoding: 'utf8' });
    expect(s.next).toEqual({
      tool: 'file_read',
      arguments: { container, path: 'big.txt', startLine: s.endLine + 1 },
    });
    // The text is a summary: the path, the size and the first lines, not the JSON again.
    const text = textOf(r);
    expect(text).toContain('big.txt');
    expect(text).toContain('line 1: ');
    expect(text).not.toContain('line 900: ');
    expect(text.length).toBeLessThan(4096);
    const pages = await follow('file_read', { container, path: 'big.txt' });
    expect(pages.length).toBeGreaterThan(2);
    expect(pages.map((p) => p.content).join('')).toBe(content);
    expect(pages.at(-1).truncated).toBe(false);
  });

  it('pages a binary file and a single huge line by byte offset', async () => {
    const bin = Buffer.alloc(100_000);
    for (let i = 0; i < bin.length; i++) bin[i] = (i * 7919) % 256;
    await write('blob.bin', bin);
    const binPages = await follow('file_read', { container, path: 'blob.bin' });
    expect(binPages[0]).toMatchObject({ encoding: 'base64', offset: 0, truncated: true });
    expect(Buffer.concat(binPages.map((p) => Buffer.from(p.content, 'base64'))).equals(bin)).toBe(true);

    const minified = `${'const a="é€😀";'.repeat(8000)}\n`;
    await write('min.js', minified);
    const minPages = await follow('file_read', { container, path: 'min.js' });
    expect(minPages[0]).toMatchObject({ encoding: 'utf8', offset: 0, truncated: true });
    expect(minPages.length).toBeGreaterThan(3);
    expect(minPages.map((p) => p.content).join('')).toBe(minified);
  });

  it('returns the tail of a big command output, and process_output returns all of it', async () => {
    const script = "for (let i = 0; i < 20000; i++) console.log('row ' + i + ' ' + 'x'.repeat(20));";
    const { r, s } = await call('exec', { container, command: ['node', '-e', script] });
    expect(s).toMatchObject({ exitCode: 0, truncated: true });
    expect(s.stdout.endsWith(`row 19999 ${'x'.repeat(20)}\n`)).toBe(true);
    expect(s.next).toEqual({ tool: 'process_output', arguments: { id: s.processId, offset: 0 } });
    const text = textOf(r);
    expect(text).toMatch(/^exit 0 in \d+ ms/);
    expect(text).toContain('row 19999');
    const expected = Array.from({ length: 20000 }, (_, i) => `row ${i} ${'x'.repeat(20)}\n`).join('');
    const pages = await follow(s.next.tool, s.next.arguments, (p) => !p.running);
    expect(pages.length).toBeGreaterThan(5);
    expect(pages.flatMap((p) => p.records.map((x: { text: string }) => x.text)).join('')).toBe(expected);
  });

  it('keeps REST pages as large as its own limits', async () => {
    const res = await fetch(`${h.url as string}/api/v1/containers/${container}/files/content?path=big.txt`, {
      headers: { authorization: `Bearer ${h.token as string}` },
    });
    const body = (await res.json()) as Any;
    expect(body.truncated).toBe(false);
    expect(body.content.length).toBeGreaterThan(CAP * 4);
  });
});

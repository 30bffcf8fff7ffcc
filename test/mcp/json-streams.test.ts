import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SettlingStreamMap, settleJsonStreams } from '../../src/mcp/json-streams.js';

// The SDK's own transport on a real HTTP server on port 0, answering in JSON mode, as /mcp sessions do.
let server: http.Server;
let transport: StreamableHTTPServerTransport;
let url: string;

beforeAll(async () => {
  transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => 'session-1', enableJsonResponse: true });
  settleJsonStreams(transport);
  const mcp = new McpServer({ name: 'test', version: '1' });
  mcp.registerTool('echo', { description: 'Use to echo.' }, async () => ({
    content: [{ type: 'text', text: 'x'.repeat(4096) }],
  }));
  await mcp.connect(transport);
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => void transport.handleRequest(req, res, JSON.parse(body)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  await transport.close();
  await new Promise((r) => server.close(r));
});

const streams = () =>
  (transport as unknown as { _webStandardTransport: { _streamMapping: Map<string, unknown> } })._webStandardTransport
    ._streamMapping;

async function post(message: object) {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-session-id': 'session-1',
      'mcp-protocol-version': '2025-06-18',
    },
    body: JSON.stringify({ jsonrpc: '2.0', ...message }),
  });
  return res.headers.get('content-type')?.includes('json') ? res.json() : res.text();
}

describe('JSON-mode MCP calls on a session', () => {
  it('keeps no stream entry once each response is sent (the SDK 1.x leak is closed)', async () => {
    await post({
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    });
    await post({ method: 'notifications/initialized' });
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => post({ id: i + 1, method: 'tools/call', params: { name: 'echo' } })),
    );
    for (const a of answers)
      expect((a as { result: { content: { text: string }[] } }).result.content[0]?.text).toHaveLength(4096);
    expect(streams().size).toBe(0);
    expect(streams()).toBeInstanceOf(SettlingStreamMap);
  });

  it('drops an entry when its JSON response is resolved, and only its own', () => {
    const map = new SettlingStreamMap();
    const got: Response[] = [];
    map.set('a', { resolveJson: (r) => got.push(r), cleanup: () => {} });
    map.set('sse', { cleanup: () => {} });
    map.get('a')?.resolveJson?.(new Response('{}'));
    expect(got).toHaveLength(1);
    expect([...map.keys()]).toEqual(['sse']);
  });
});

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { connectStdio } from './mcp.js';

export const UI_EXTENSION = 'io.modelcontextprotocol/ui';
export const APP_MIME = 'text/html;profile=mcp-app';

const clientOf = (ui: boolean, name = ui ? 'apps-host' : 'plain-client') =>
  new Client(
    { name, version: '1.0.0' },
    { capabilities: ui ? { extensions: { [UI_EXTENSION]: { mimeTypes: [APP_MIME] } } } : {} },
  );

/** A real MCP SDK client on a daemon's /mcp; `ui: true` declares the MCP Apps extension as Claude or ChatGPT do. */
export async function mcpClient(url: string, token: string, ui: boolean, name?: string): Promise<Client> {
  const client = clientOf(ui, name);
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

/** The same over stdio, against a real `disco mcp` process (the built package: views read from dist/views). */
export async function stdioClient(home: string, ui: boolean): Promise<Client> {
  return connectStdio(clientOf(ui), home);
}

/** Calls a tool and returns its result, failing the test on a tool error. */
export async function call(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
  if (r.isError) throw new Error(`${name} failed: ${JSON.stringify(r.content)}`);
  return r;
}

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary result shapes
export const data = (r: CallToolResult): any => r.structuredContent;

import { rm } from 'node:fs/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { DISCO_BIN } from './cli.js';
import { startTestDaemon, tempDir } from './daemon.js';
import { childEnv } from './env.js';

export interface McpHarness {
  client: Client;
  /** Where the server keeps containers, to check effects on disk. */
  home: string;
  /** The daemon's URL and admin token (Streamable HTTP only). */
  url?: string;
  token?: string;
  close: () => Promise<void>;
}

/** The headers of a raw POST to /mcp (Streamable HTTP: JSON in, JSON or an SSE stream out), with a bearer token. */
export const mcpPostHeaders = (token: string): Record<string, string> => ({
  authorization: `Bearer ${token}`,
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
});

/** An SDK client connected to /mcp on a real daemon over Streamable HTTP. */
export async function httpHarness(env: Record<string, string> = {}): Promise<McpHarness> {
  const t = await startTestDaemon(env);
  const client = new Client({ name: 'disco-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${t.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${t.token}` } },
    }),
  );
  return {
    client,
    home: t.home,
    url: t.url,
    token: t.token,
    close: async () => {
      await client.close();
      await t.stop();
    },
  };
}

/** Connects `client` to a real `disco mcp` process (the built package) on `home`, over stdio. */
export async function connectStdio(client: Client, home: string): Promise<Client> {
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [DISCO_BIN, 'mcp'],
      env: childEnv({ DISCO_HOME: home }),
      stderr: 'pipe',
    }),
  );
  return client;
}

/** An SDK client talking to a real `disco mcp` process over stdio. */
export async function stdioHarness(): Promise<McpHarness> {
  const home = await tempDir('disco-mcp-stdio-');
  const client = await connectStdio(new Client({ name: 'disco-test', version: '1.0.0' }), home);
  return {
    client,
    home,
    close: async () => {
      await client.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}

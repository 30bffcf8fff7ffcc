import * as extApps from '@modelcontextprotocol/ext-apps/server';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { describe, expect, it } from 'vitest';
import { clientShowsViews } from '../../src/mcp/apps/index.js';
import { EXTENSION_ID, RESOURCE_MIME_TYPE, RESOURCE_URI_META_KEY } from '../../src/mcp/apps/meta.js';

describe('MCP Apps names', () => {
  it('are those of @modelcontextprotocol/ext-apps (copied so the daemon does not load its schemas)', () => {
    expect({ EXTENSION_ID, RESOURCE_MIME_TYPE, RESOURCE_URI_META_KEY }).toEqual({
      EXTENSION_ID: extApps.EXTENSION_ID,
      RESOURCE_MIME_TYPE: extApps.RESOURCE_MIME_TYPE,
      RESOURCE_URI_META_KEY: extApps.RESOURCE_URI_META_KEY,
    });
  });

  it('detect the extension as getUiCapability does, and only with the HTML profile', () => {
    const cases: Parameters<typeof extApps.getUiCapability>[0][] = [
      undefined,
      {},
      { extensions: {} },
      { extensions: { [EXTENSION_ID]: {} } },
      { extensions: { [EXTENSION_ID]: { mimeTypes: ['text/html'] } } },
      { extensions: { [EXTENSION_ID]: { mimeTypes: 'text/html;profile=mcp-app' } } },
      { extensions: { [EXTENSION_ID]: { mimeTypes: [RESOURCE_MIME_TYPE] } } },
      { experimental: { [EXTENSION_ID]: { mimeTypes: [RESOURCE_MIME_TYPE] } } },
    ];
    const seen = cases.map((caps) =>
      clientShowsViews({
        server: { getClientCapabilities: () => caps, getClientVersion: () => ({ name: 'host', version: '1' }) },
      } as unknown as McpServer),
    );
    const expected = cases.map((caps) => {
      const mimeTypes = extApps.getUiCapability(caps)?.mimeTypes;
      return Array.isArray(mimeTypes) && mimeTypes.includes(RESOURCE_MIME_TYPE);
    });
    expect(seen).toEqual(expected);
    expect(seen.filter(Boolean)).toHaveLength(1);
  });
});

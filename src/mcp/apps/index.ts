import type { McpServer, RegisteredResource } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { DiscoError } from '../../daemon/errors.js';
import type { Op, OpView } from '../../daemon/ops/op.js';
import { type McpCallContext, opContextFor } from '../context.js';
import { cappedToolResult } from '../summary.js';
import { type ToolExtension, toolError } from '../tools.js';
import { helperByName, helpersFor } from './helpers.js';
import { EXTENSION_ID, RESOURCE_MIME_TYPE, resourceMeta, withView } from './meta.js';
import { VIEWS, viewHtml, viewUri } from './views.js';

/**
 * ChatGPT names itself `openai-mcp` (or `openai-mcp/<version>`) at initialize and renders the Apps SDK's
 * `openai/outputTemplate` whether or not it also declares the MCP Apps extension, so it gets the views too.
 */
const APPS_SDK_CLIENT = /^openai-mcp(\/|$)/;

/** True when the client declared the MCP Apps extension (`io.modelcontextprotocol/ui`) with its HTML profile, or is ChatGPT. */
export function clientShowsViews(mcp: McpServer): boolean {
  const ui = mcp.server.getClientCapabilities()?.extensions?.[EXTENSION_ID] as { mimeTypes?: unknown } | undefined;
  if (Array.isArray(ui?.mimeTypes) && ui.mimeTypes.includes(RESOURCE_MIME_TYPE)) return true;
  return APPS_SDK_CLIENT.test(mcp.server.getClientVersion()?.name ?? '');
}

/**
 * MCP Apps on one server (one per session): the `ui://disco/*` view resources, the views named on tools in
 * tools/list, and the app-only helper tools. All of it only for a client that declared the UI extension when
 * it initialized; any other client (and a sessionless request, which has no handshake) sees today's server.
 */
export function registerApps(mcp: McpServer, ops: readonly Op[], context: McpCallContext): ToolExtension {
  const byName = new Map(ops.map((op) => [op.name, op]));
  const resources: RegisteredResource[] = [];
  for (const [view, { title, description }] of Object.entries(VIEWS) as [OpView, (typeof VIEWS)[OpView]][]) {
    const uri = viewUri(view);
    const meta = resourceMeta(description);
    const resource = mcp.registerResource(
      `view-${view}`,
      uri,
      { title, description, mimeType: RESOURCE_MIME_TYPE, _meta: meta },
      async () => ({ contents: [{ uri, mimeType: RESOURCE_MIME_TYPE, text: await viewHtml(view), _meta: meta }] }),
    );
    resource.disable();
    resources.push(resource);
  }
  const previous = mcp.server.oninitialized;
  mcp.server.oninitialized = () => {
    previous?.();
    if (clientShowsViews(mcp)) for (const r of resources) r.enable();
  };

  return {
    list: (tools: Tool[], extra) => {
      if (!clientShowsViews(mcp)) return tools;
      return [...tools.map((t) => withView(t, byName.get(t.name))), ...helpersFor(context.principalOf(extra))];
    },
    call: (name, args, extra) => {
      const helper = helperByName.get(name);
      if (!helper || !clientShowsViews(mcp)) return undefined;
      return (async (): Promise<CallToolResult> => {
        try {
          const value = await helper.run(args, opContextFor(context, extra));
          return cappedToolResult({ name: helper.tool.name }, value, context.services.config.resultMaxBytes);
        } catch (err) {
          if (!(err instanceof DiscoError)) context.log.error({ err, tool: name }, 'view helper failed');
          return toolError(err);
        }
      })();
    },
  };
}

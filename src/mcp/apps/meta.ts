import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Op, OpView } from '../../daemon/ops/op.js';
import { viewUri } from './views.js';

/*
 * The MCP Apps names, as `@modelcontextprotocol/ext-apps/server` exports them (a unit test checks they agree).
 * Perf: importing that module builds its zod schemas, ~130 ms on top of the MCP SDK here, for three strings.
 */
export const EXTENSION_ID = 'io.modelcontextprotocol/ui';
export const RESOURCE_MIME_TYPE = 'text/html;profile=mcp-app';
/** The flat key older hosts read (deprecated in the spec for `_meta.ui.resourceUri`). */
export const RESOURCE_URI_META_KEY = 'ui/resourceUri';

/**
 * The views run no code from anywhere else and reach no network: everything is inlined at build time and
 * they talk to the host only through postMessage. An empty CSP allow-list says so.
 */
export const VIEW_CSP = { connectDomains: [] as string[], resourceDomains: [] as string[] };

/** `_meta` of a view resource: the MCP Apps keys and ChatGPT's Apps SDK aliases. */
export function resourceMeta(description: string): Record<string, unknown> {
  return {
    ui: { csp: VIEW_CSP, prefersBorder: true },
    'openai/widgetCSP': { connect_domains: [], resource_domains: [] },
    'openai/widgetPrefersBorder': true,
    'openai/widgetDescription': description,
  };
}

/**
 * `_meta` of a tool whose result a view shows: `ui.resourceUri` (MCP Apps), the older flat key for hosts
 * that predate it, and ChatGPT's aliases (template, status lines while it runs, and leave for the view to
 * call tools).
 */
export function viewToolMeta(op: Pick<Op, 'title'>, view: OpView): Record<string, unknown> {
  const uri = viewUri(view);
  return {
    ui: { resourceUri: uri },
    [RESOURCE_URI_META_KEY]: uri,
    'openai/outputTemplate': uri,
    'openai/toolInvocation/invoking': `${op.title}…`.slice(0, 64),
    'openai/toolInvocation/invoked': op.title.slice(0, 64),
    'openai/widgetAccessible': true,
  };
}

/** `_meta` of a helper tool only views call: hidden from the model in both dialects. */
export const APP_ONLY_META: Record<string, unknown> = {
  ui: { visibility: ['app'] },
  'openai/visibility': 'private',
  'openai/widgetAccessible': true,
};

/** A tool as a UI-capable client sees it; other clients get the tool untouched. */
export function withView(tool: Tool, op: Pick<Op, 'title' | 'view'> | undefined): Tool {
  if (!op?.view) return tool;
  return { ...tool, _meta: { ...tool._meta, ...viewToolMeta(op, op.view) } };
}

import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../daemon/log.js';
import type { OpContext, Principal } from '../daemon/ops/op.js';
import type { Services } from '../daemon/ops/services.js';

export type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** What the MCP surface needs from its transport: who is calling, and the URL links should use. */
export interface McpCallContext {
  services: Services;
  log: Logger;
  principalOf: (extra: Extra) => Principal;
  baseUrlOf: (extra: Extra) => string;
}

/** The op context for one MCP request; progress goes out as notifications when the client asked for them. */
export function opContextFor(context: McpCallContext, extra: Extra, progressToken?: string | number): OpContext {
  return {
    principal: context.principalOf(extra),
    services: context.services,
    signal: extra.signal,
    baseUrl: context.baseUrlOf(extra),
    wantsProgress: progressToken !== undefined,
    transport: 'mcp',
    progress: (p) => {
      if (progressToken === undefined || extra.signal.aborted) return;
      extra.sendNotification({ method: 'notifications/progress', params: { progressToken, ...p } }).catch(() => {});
    },
  };
}

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Op } from '../daemon/ops/op.js';
import { discoVersion } from '../daemon/version.js';
import { registerApps } from './apps/index.js';
import type { McpCallContext } from './context.js';
import { registerFileResources } from './resources.js';
import { registerOpTools } from './tools.js';

const INSTRUCTIONS =
  'Disco gives you real development workspaces ("containers"). Create one with container_create (or list ' +
  'yours with container_list), then read and change files with the file_* tools and run commands with exec ' +
  '(argv arrays run without a shell; pass shell: true for pipes). Paths are relative to the workspace root. ' +
  'search and fetch find and read files across all your containers.';

/**
 * One MCP server built from the op registry: every op is a tool, container files are resources, and
 * logging/setLevel is honoured. Adding an op adds its tool; nothing here names an op.
 */
export function buildMcpServer(ops: readonly Op[], context: McpCallContext): McpServer {
  const mcp = new McpServer(
    { name: 'disco', title: 'Disco', version: discoVersion() },
    { capabilities: { logging: {} }, instructions: INSTRUCTIONS },
  );
  registerOpTools(mcp, ops, context, registerApps(mcp, ops, context));
  registerFileResources(mcp, context);
  return mcp;
}

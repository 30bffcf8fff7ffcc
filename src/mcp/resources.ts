import { type McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Resource } from '@modelcontextprotocol/sdk/types.js';
import { containerList } from '../daemon/ops/containers.js';
import { fileList, fileRead } from '../daemon/ops/files.js';
import { invokeOp } from '../daemon/ops/invoke.js';
import { type McpCallContext, opContextFor } from './context.js';

/** RFC 6570 reserved expansion (`{+path}`) so the path keeps its slashes. */
export const FILE_URI_TEMPLATE = 'disco://containers/{id}/files/{+path}';
const LIST_PER_CONTAINER = 200;
const LIST_TOTAL = 1000;

const MIME: Record<string, string> = {
  md: 'text/markdown',
  txt: 'text/plain',
  json: 'application/json',
  js: 'text/javascript',
  mjs: 'text/javascript',
  cjs: 'text/javascript',
  ts: 'text/x-typescript',
  tsx: 'text/x-typescript',
  py: 'text/x-python',
  html: 'text/html',
  css: 'text/css',
  yml: 'application/yaml',
  yaml: 'application/yaml',
  sh: 'text/x-shellscript',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  svg: 'image/svg+xml',
  pdf: 'application/pdf',
};

export function mimeTypeOf(path: string, binary: boolean): string {
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  return MIME[ext] ?? (binary ? 'application/octet-stream' : 'text/plain');
}

export const fileUri = (containerId: string, path: string) =>
  `disco://containers/${containerId}/files/${path.split('/').map(encodeURIComponent).join('/')}`;

/**
 * Container files as MCP resources: listed (bounded, .gitignore honoured) and read as text or base64
 * blob, through the file ops themselves, so scopes, containment and errors are theirs.
 */
export function registerFileResources(mcp: McpServer, context: McpCallContext): void {
  const template = new ResourceTemplate(FILE_URI_TEMPLATE, {
    list: async (extra) => {
      const ctx = opContextFor(context, extra);
      const resources: Resource[] = [];
      const { containers } = await invokeOp(containerList, {}, ctx);
      for (const c of containers) {
        if (resources.length >= LIST_TOTAL) break;
        const listing = await invokeOp(fileList, { container: c.id, recursive: true, limit: LIST_PER_CONTAINER }, ctx);
        for (const e of listing.entries) {
          if (e.type !== 'file' || resources.length >= LIST_TOTAL) continue;
          resources.push({
            uri: fileUri(c.id, e.path),
            name: `${c.name}/${e.path}`,
            mimeType: mimeTypeOf(e.path, false),
            size: e.size,
          });
        }
      }
      return { resources };
    },
  });
  mcp.registerResource(
    'container-file',
    template,
    { title: 'Container file', description: 'A file in one of your containers.' },
    async (uri, variables, extra) => {
      const container = decodeURIComponent(String(variables.id));
      const path = String(variables.path).split('/').map(decodeURIComponent).join('/');
      const file = await invokeOp(fileRead, { container, path }, opContextFor(context, extra));
      const binary = file.encoding === 'base64';
      const mimeType = mimeTypeOf(file.path, binary);
      return {
        contents: [
          binary ? { uri: uri.href, mimeType, blob: file.content } : { uri: uri.href, mimeType, text: file.content },
        ],
      };
    },
  );
}

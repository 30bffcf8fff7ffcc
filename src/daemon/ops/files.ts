import { z } from 'zod';
import { searchWorkspace } from '../workspace/search.js';
import { firstLines, formatSize, listOffset, listPage, nextCall, plural } from './budget.js';
import { openContainer } from './container-scope.js';
import { defineOp } from './op.js';
import { containerRef, relPath } from './schemas.js';

const hash = z.string().describe('SHA-256 of the content, hex. Pass it back as ifMatch to write only if unchanged.');

const FileEntrySchema = z.object({
  path: z.string(),
  name: z.string(),
  type: z.enum(['file', 'directory', 'symlink', 'other']),
  size: z.number().int(),
  mtime: z.string(),
});

export const fileList = defineOp({
  name: 'file_list',
  target: 'container',
  area: 'files',
  changesWorkspace: false,
  title: 'List files',
  description:
    'Use to see what is in a directory of a container (name, type, size, mtime); recursive: true walks ' +
    'subdirectories up to depth, skipping .git and .gitignored files unless all: true. Stops at limit; ' +
    'truncated and next say how to go on.',
  method: 'GET',
  path: '/containers/:container/files',
  input: z.object({
    container: containerRef,
    path: relPath.default('.'),
    recursive: z.boolean().default(false),
    depth: z.number().int().min(1).max(64).optional().describe('Levels to descend when recursive (default 10).'),
    limit: z.number().int().min(1).max(10_000).default(1000),
    all: z.boolean().default(false).describe('Include files ignored by .gitignore.'),
    offset: listOffset,
  }),
  output: z.object({
    path: z.string(),
    entries: z.array(FileEntrySchema),
    truncated: z.boolean(),
    next: nextCall.optional(),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'files:read',
  run: async ({ container, offset, ...input }, ctx) => {
    const r = await ctx.services.files.list((await openContainer(ctx, container)).root, {
      ...input,
      limit: offset + input.limit,
    });
    const page = listPage(r.entries.slice(offset), {
      ctx,
      offset,
      fixed: 256,
      more: r.truncated,
      next: (o) => ({ tool: 'file_list', arguments: { container, ...input, offset: o } }),
    });
    return { path: r.path, entries: page.items, truncated: page.truncated, ...(page.next ? { next: page.next } : {}) };
  },
  summary: (r) => {
    const dirs = r.entries.filter((e) => e.type === 'directory').length;
    const head = `${r.path}: ${plural(r.entries.length - dirs, 'file')}, ${plural(dirs, 'directory', 'directories')}${r.truncated ? ' (more follow)' : ''}`;
    const first = r.entries.slice(0, 15).map((e) => `  ${e.path}${e.type === 'directory' ? '/' : ''}`);
    return [head, ...first, ...(r.entries.length > 15 ? ['  …'] : [])].join('\n');
  },
});

export const fileRead = defineOp({
  name: 'file_read',
  target: 'container',
  area: 'files',
  changesWorkspace: false,
  title: 'Read file',
  description:
    'Use to read a file of a container: whole, a line range (startLine/endLine, 1-based), or bytes from ' +
    'offset. Text comes back as UTF-8, binary as base64. A big file comes back in pages: truncated is true ' +
    'and next is the call for the rest. The hash serves a later conditional file_write.',
  method: 'GET',
  path: '/containers/:container/files/content',
  input: z.object({
    container: containerRef,
    path: relPath,
    encoding: z.enum(['auto', 'utf8', 'base64']).default('auto'),
    startLine: z.number().int().min(1).optional(),
    endLine: z.number().int().min(1).optional(),
    offset: z.number().int().min(0).optional().describe('Byte offset: read a page of bytes from here (nextOffset).'),
  }),
  output: z.object({
    path: z.string(),
    encoding: z.enum(['utf8', 'base64']),
    content: z.string(),
    size: z.number().int().describe('Size of the whole file in bytes.'),
    hash: hash.describe('SHA-256 (hex) of the returned content; of the whole file when all of it was returned.'),
    mtime: z.string(),
    totalLines: z.number().int().optional(),
    startLine: z.number().int().optional(),
    endLine: z.number().int().optional(),
    offset: z.number().int().optional(),
    truncated: z.boolean().describe('More of the file (or of the range) follows: see next.'),
    nextStartLine: z.number().int().optional(),
    nextOffset: z.number().int().optional(),
    next: nextCall.optional(),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'files:read',
  view: 'file',
  run: async ({ container, ...input }, ctx) => {
    const r = await ctx.services.files.read((await openContainer(ctx, container)).root, {
      ...input,
      ...(ctx.resultBudget !== undefined ? { pageBytes: ctx.resultBudget - 1024 } : {}),
    });
    const more = (args: Record<string, unknown>) => ({
      next: { tool: 'file_read', arguments: { container, path: input.path, ...args } },
    });
    if ('nextOffset' in r && r.nextOffset !== undefined) {
      return {
        ...r,
        ...more({ offset: r.nextOffset, ...(input.encoding !== 'auto' ? { encoding: input.encoding } : {}) }),
      };
    }
    if ('nextStartLine' in r && r.nextStartLine !== undefined) {
      return { ...r, ...more({ startLine: r.nextStartLine, ...(input.endLine ? { endLine: input.endLine } : {}) }) };
    }
    return r;
  },
  summary: (r) => {
    const where =
      r.offset !== undefined
        ? `bytes ${r.offset}–${r.offset + (r.encoding === 'base64' ? Math.floor((r.content.length * 3) / 4) : Buffer.byteLength(r.content))}`
        : r.startLine !== undefined
          ? `lines ${r.startLine}–${r.endLine}`
          : `${plural(r.totalLines ?? 0, 'line')}`;
    const head = `${r.path}: ${formatSize(r.size)}, ${where}${r.truncated ? ' (more follows)' : ''}`;
    if (r.encoding === 'base64') return `${head}, binary (base64 in structured content)`;
    return `${head}\n${firstLines(r.content, 12)}`;
  },
});

export const fileWrite = defineOp({
  name: 'file_write',
  target: 'container',
  area: 'files',
  changesWorkspace: true,
  title: 'Write file',
  description:
    'Use to create or replace a file (atomically, parents created). Binary content as base64 with ' +
    'encoding: base64. ifMatch (a hash from file_read) writes only if the file is unchanged.',
  method: 'PUT',
  path: '/containers/:container/files/content',
  input: z.object({
    container: containerRef,
    path: relPath,
    content: z.string(),
    encoding: z.enum(['utf8', 'base64']).default('utf8'),
    ifMatch: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'a SHA-256 hex digest')
      .optional(),
    createParents: z.boolean().default(true),
  }),
  output: z.object({ path: z.string(), size: z.number().int(), hash, created: z.boolean() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  scope: 'files:write',
  view: 'file',
  run: async ({ container, ...input }, ctx) =>
    ctx.services.files.write((await openContainer(ctx, container)).root, input),
});

export const fileDelete = defineOp({
  name: 'file_delete',
  target: 'container',
  area: 'files',
  changesWorkspace: true,
  title: 'Delete file',
  description: 'Use to delete a file or symlink; a directory needs recursive: true.',
  method: 'DELETE',
  path: '/containers/:container/files',
  input: z.object({ container: containerRef, path: relPath, recursive: z.boolean().default(false) }),
  output: z.object({ path: z.string(), type: z.enum(['file', 'directory', 'symlink', 'other']), deleted: z.boolean() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  scope: 'files:write',
  audit: true,
  run: async ({ container, ...input }, ctx) =>
    ctx.services.files.remove((await openContainer(ctx, container)).root, input),
});

export const fileMove = defineOp({
  name: 'file_move',
  target: 'container',
  area: 'files',
  changesWorkspace: true,
  title: 'Move or rename file',
  description: 'Use to move or rename a file or directory; an existing destination needs overwrite: true.',
  method: 'POST',
  path: '/containers/:container/files/move',
  input: z.object({
    container: containerRef,
    from: relPath,
    to: relPath,
    overwrite: z.boolean().default(false),
    createParents: z.boolean().default(true),
  }),
  output: z.object({ from: z.string(), to: z.string(), type: z.enum(['file', 'directory', 'symlink', 'other']) }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  scope: 'files:write',
  run: async ({ container, ...input }, ctx) =>
    ctx.services.files.move((await openContainer(ctx, container)).root, input),
});

export const fileSearch = defineOp({
  name: 'file_search',
  target: 'container',
  area: 'files',
  changesWorkspace: false,
  title: 'Search files',
  description:
    "Use to find files by name (glob such as '**/*.ts') and/or lines by text (query; literal unless regex: " +
    'true, linear-time JavaScript syntax) in a container. Case-insensitive unless caseSensitive; honours ' +
    '.gitignore and skips .git and node_modules unless includeIgnored. Returns path, line, column and line text.',
  method: 'POST',
  path: '/containers/:container/files/search',
  input: z.object({
    container: containerRef,
    path: relPath.default('.').describe('Directory to search under.'),
    glob: z.string().min(1).max(1000).optional(),
    query: z.string().min(1).max(1000).optional(),
    regex: z.boolean().default(false),
    caseSensitive: z.boolean().default(false),
    maxResults: z.number().int().min(1).max(5000).default(200),
    includeIgnored: z.boolean().default(false),
    offset: listOffset,
  }),
  output: z.object({
    matches: z.array(
      z.object({
        path: z.string(),
        line: z.number().int().optional(),
        column: z.number().int().optional(),
        text: z.string().optional(),
      }),
    ),
    filesScanned: z.number().int(),
    truncated: z.boolean(),
    reason: z.string().optional(),
    next: nextCall.optional(),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'files:read',
  view: 'search',
  run: async ({ container, offset, ...input }, ctx) => {
    const r = await searchWorkspace(
      (await openContainer(ctx, container)).root,
      { ...input, maxResults: offset + input.maxResults },
      undefined,
      ctx.signal,
    );
    // A model gets the start of a very long line (minified code), not all of it.
    const matches = r.matches
      .slice(offset)
      .map((m) =>
        ctx.resultBudget !== undefined && m.text && m.text.length > 400
          ? { ...m, text: `${m.text.slice(0, 400)}…` }
          : m,
      );
    const page = listPage(matches, {
      ctx,
      offset,
      fixed: 512,
      more: r.truncated && r.matches.length >= offset + input.maxResults,
      next: (o) => ({ tool: 'file_search', arguments: { container, ...input, offset: o } }),
    });
    return {
      ...r,
      matches: page.items,
      truncated: r.truncated || page.truncated,
      ...(page.next ? { next: page.next } : {}),
    };
  },
  summary: (r) => {
    const head = `${plural(r.matches.length, 'match', 'matches')} in ${plural(r.filesScanned, 'file')} scanned${r.truncated ? ` (truncated${r.reason ? `: ${r.reason}` : ''})` : ''}`;
    const first = r.matches
      .slice(0, 10)
      .map((m) => `  ${m.path}${m.line ? `:${m.line}` : ''}${m.text ? `: ${m.text.trim().slice(0, 100)}` : ''}`);
    return [head, ...first, ...(r.matches.length > 10 ? ['  …'] : [])].join('\n');
  },
});

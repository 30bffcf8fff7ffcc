import { z } from 'zod';
import { listOffset, nextCall } from './budget.js';
import { defineContract } from './contract.js';
import { containerRef, relPath } from './schemas.js';

export const hash = z
  .string()
  .describe('SHA-256 of the content, hex. Pass it back as ifMatch to write only if unchanged.');

export const FileEntrySchema = z.object({
  path: z.string(),
  name: z.string(),
  type: z.enum(['file', 'directory', 'symlink', 'other']),
  size: z.number().int(),
  mtime: z.string(),
});

export const fileList = defineContract({
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
});

export const fileRead = defineContract({
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
});

export const fileWrite = defineContract({
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
});

export const fileDelete = defineContract({
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
});

export const fileMove = defineContract({
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
});

export const fileSearch = defineContract({
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
});

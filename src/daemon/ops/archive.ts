import { z } from 'zod';
import { packArchive, unpackArchive } from '../workspace/archive.js';
import { openContainer } from './container-scope.js';
import { defineOp } from './op.js';
import { containerRef, relPath } from './schemas.js';

/** Members per archive, either way. */
const MAX_ENTRIES = 20_000;

const Summary = z.object({
  path: z.string(),
  files: z.number().int(),
  directories: z.number().int(),
  symlinks: z.number().int(),
  bytes: z.number().int().describe('Bytes of file content.'),
});

export const fileUnpack = defineOp({
  name: 'file_unpack',
  target: 'container',
  area: 'files',
  changesWorkspace: true,
  title: 'Unpack archive',
  description:
    'Use to copy a directory tree into a container: a tar archive (base64) unpacked into a workspace ' +
    'directory. Absolute, `..`, linked-out or special members refuse the whole archive.',
  method: 'POST',
  path: '/containers/:container/files/unpack',
  input: z.object({
    container: containerRef,
    path: relPath.default('.').describe('Directory to unpack into (created).'),
    archive: z
      .string()
      .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64')
      .describe('The tar archive, base64.'),
  }),
  output: Summary,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  scope: 'files:write',
  audit: true,
  run: async ({ container, path, archive }, ctx) => {
    const c = await openContainer(ctx, container);
    const limits = { maxBytes: ctx.services.config.fileWriteMaxBytes, maxEntries: MAX_ENTRIES };
    return unpackArchive(ctx.services.files, c.root, path, Buffer.from(archive, 'base64'), limits);
  },
});

export const filePack = defineOp({
  name: 'file_pack',
  target: 'container',
  area: 'files',
  changesWorkspace: false,
  title: 'Pack directory',
  description:
    'Use to copy a directory tree out of a container as a tar archive (base64); symlinks stay links, ' +
    'FIFOs and devices are left out.',
  method: 'GET',
  path: '/containers/:container/files/pack',
  input: z.object({ container: containerRef, path: relPath.default('.') }),
  output: Summary.extend({
    archive: z.string().describe('The tar archive, base64.'),
    skipped: z.number().int().describe('Entries left out (FIFOs, sockets, devices).'),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'files:read',
  run: async ({ container, path }, ctx) => {
    const c = await openContainer(ctx, container);
    const limits = { maxBytes: ctx.services.config.fileWriteMaxBytes, maxEntries: MAX_ENTRIES };
    const { archive, summary, skipped } = await packArchive(c.root, path, limits);
    return { ...summary, archive: archive.toString('base64'), skipped };
  },
});

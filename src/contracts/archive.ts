import { z } from 'zod';
import { defineContract } from './contract.js';
import { containerRef, relPath } from './schemas.js';

export const Summary = z.object({
  path: z.string(),
  files: z.number().int(),
  directories: z.number().int(),
  symlinks: z.number().int(),
  bytes: z.number().int().describe('Bytes of file content.'),
});

export const fileUnpack = defineContract({
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
});

export const filePack = defineContract({
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
});

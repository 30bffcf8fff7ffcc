import { z } from 'zod';
import { defineContract } from './contract.js';
import { containerRef } from './schemas.js';

export const port = z.number().int().min(1).max(65535).describe('TCP port inside the container (1-65535).');

export const Urls = z.object({
  path: z.string().describe('`<daemon>/preview/<container>/<port>/` (opened with preview_open).'),
  host: z.string().optional().describe('`<scheme>://<port>--<container>.<domain>/` when a preview domain is set.'),
});

export const PortSchema = z.object({
  port: z.number().int(),
  address: z.string(),
  pid: z.number().int().nullable(),
  command: z.string().nullable(),
  urls: Urls,
});

export const ShareSchema = z.object({
  id: z.string(),
  container: z.string(),
  port: z.number().int(),
  status: z.enum(['active', 'expired', 'revoked']),
  createdAt: z.string(),
  expiresAt: z.string(),
  revokedAt: z.string().nullable(),
});

export const portsList = defineContract({
  name: 'ports_list',
  target: 'container',
  area: 'previews',
  changesWorkspace: false,
  title: 'List listening ports',
  description: 'Use to see which TCP ports listen in a container, the process of each and its preview URLs.',
  method: 'GET',
  path: '/containers/:container/ports',
  input: z.object({ container: containerRef }),
  output: z.object({ container: z.string(), ports: z.array(PortSchema) }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'exec',
});

export const previewOpen = defineContract({
  name: 'preview_open',
  target: 'container',
  area: 'previews',
  changesWorkspace: false,
  title: 'Open a preview',
  description:
    'Use to open what a container serves on a port in a browser: a one-use link valid 60 s. Fails with ' +
    'port_closed when nothing listens.',
  method: 'POST',
  path: '/containers/:container/ports/:port/preview',
  input: z.object({ container: containerRef, port: z.coerce.number().pipe(port) }),
  output: z.object({ url: z.string(), expiresAt: z.string(), urls: Urls }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  scope: 'exec',
  audit: true,
});

export const previewShareCreate = defineContract({
  name: 'preview_share_create',
  target: 'container',
  area: 'previews',
  changesWorkspace: false,
  title: 'Share a preview',
  description:
    'Use to share a container port with anyone holding the link until it expires (expiresIn s, default 1 ' +
    'h, max 30 days) or is revoked. The link is shown only once.',
  method: 'POST',
  path: '/containers/:container/ports/:port/shares',
  successStatus: 201,
  input: z.object({
    container: containerRef,
    port: z.coerce.number().pipe(port),
    expiresIn: z
      .number()
      .int()
      .min(60)
      .max(30 * 86_400)
      .default(3600)
      .describe('Seconds until the link stops working (60 s to 30 days).'),
  }),
  output: ShareSchema.extend({ url: z.string() }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  scope: 'exec',
  audit: true,
});

export const previewShareList = defineContract({
  name: 'preview_share_list',
  target: 'container',
  area: 'previews',
  changesWorkspace: false,
  title: 'List preview shares',
  description: 'Use to see your preview share links (newest first) and their status.',
  method: 'GET',
  path: '/previews/shares',
  input: z.object({ container: containerRef.optional() }),
  output: z.object({ shares: z.array(ShareSchema) }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'exec',
});

export const previewShareRevoke = defineContract({
  name: 'preview_share_revoke',
  target: 'none',
  area: 'previews',
  changesWorkspace: false,
  title: 'Revoke a preview share',
  description: 'Use to cut off a share link at once.',
  method: 'DELETE',
  path: '/previews/shares/:id',
  input: z.object({ id: z.string().min(1).max(64).describe('The share id (shr_…).') }),
  output: ShareSchema,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  scope: 'exec',
  audit: true,
});

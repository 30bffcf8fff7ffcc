import { z } from 'zod';
import type { Container } from '../containers/service.js';
import type { PreviewGrant } from '../db/preview-repo.js';
import { ConflictError, DiscoError } from '../errors.js';
import { portClosed } from '../sandbox/host-net.js';
import { defineOp, type OpContext } from './op.js';
import { containerRef } from './schemas.js';

const port = z.number().int().min(1).max(65535).describe('TCP port inside the container (1-65535).');
const Urls = z.object({
  path: z.string().describe('`<daemon>/preview/<container>/<port>/` (opened with preview_open).'),
  host: z.string().optional().describe('`<scheme>://<port>--<container>.<domain>/` when a preview domain is set.'),
});
const PortSchema = z.object({
  port: z.number().int(),
  address: z.string(),
  pid: z.number().int().nullable(),
  command: z.string().nullable(),
  urls: Urls,
});
const ShareSchema = z.object({
  id: z.string(),
  container: z.string(),
  port: z.number().int(),
  status: z.enum(['active', 'expired', 'revoked']),
  createdAt: z.string(),
  expiresAt: z.string(),
  revokedAt: z.string().nullable(),
});

const iso = (ms: number) => new Date(ms).toISOString();
const toShare = (g: PreviewGrant): z.input<typeof ShareSchema> => ({
  id: g.id,
  container: g.containerId,
  port: g.port,
  status: g.revokedAt !== null ? 'revoked' : g.expiresAt <= Date.now() ? 'expired' : 'active',
  createdAt: iso(g.createdAt),
  expiresAt: iso(g.expiresAt),
  revokedAt: g.revokedAt === null ? null : iso(g.revokedAt),
});

/** The caller's running container; a stopped one is an error here (a preview never starts it). */
async function runningContainer(ctx: OpContext, ref: string): Promise<Container> {
  const c = await ctx.services.containers.get(ctx.principal.userId, ref);
  if (c.status === 'stopped') {
    throw new ConflictError('the container is stopped; start a command in it first', { container: c.id });
  }
  return c;
}

/** A webcontainer container's servers are previewed by its page, on the URL the page reported. */
function previewedByPage(ctx: OpContext, c: Container, port: number): void {
  if (c.runtime !== 'webcontainer') return;
  const url = ctx.services.workbench?.previewUrl(c.id, port);
  throw new DiscoError(
    'unsupported',
    `previews of a webcontainer container are served by its workbench page, not through the daemon${url ? `: ${url}` : ''}`,
    url ? { url } : undefined,
  );
}

async function assertListening(ctx: OpContext, containerId: string, p: number): Promise<void> {
  const ports = await ctx.services.nets.listening(containerId);
  if (!ports.some((l) => l.port === p)) throw portClosed(containerId, p);
}

export const portsList = defineOp({
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
  run: async ({ container }, ctx) => {
    const c = await runningContainer(ctx, container);
    const ports = await ctx.services.nets.listening(c.id);
    return {
      container: c.id,
      ports: ports.map((p) => {
        // A webcontainer container's server is previewed where its page said (its own origin, not the daemon's).
        const page = ctx.services.workbench?.previewUrl(c.id, p.port);
        return { ...p, urls: page ? { path: page } : ctx.services.previews.urls(ctx.baseUrl, c.id, p.port) };
      }),
    };
  },
});

export const previewOpen = defineOp({
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
  run: async ({ container, port: p }, ctx) => {
    const c = await runningContainer(ctx, container);
    previewedByPage(ctx, c, p);
    await assertListening(ctx, c.id, p);
    const { previews } = ctx.services;
    const { token, grant } = previews.link(ctx.principal.userId, c.id, p);
    return {
      url: previews.entry(ctx.baseUrl, c.id, p, 'disco_link', token),
      expiresAt: iso(grant.expiresAt),
      urls: previews.urls(ctx.baseUrl, c.id, p),
    };
  },
});

export const previewShareCreate = defineOp({
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
  run: async ({ container, port: p, expiresIn }, ctx) => {
    const c = await runningContainer(ctx, container);
    previewedByPage(ctx, c, p);
    const { previews } = ctx.services;
    const { token, grant } = previews.share(ctx.principal.userId, c.id, p, expiresIn * 1000);
    return {
      ...toShare({ ...grant, usedAt: null, revokedAt: null }),
      url: previews.entry(ctx.baseUrl, c.id, p, 'disco_share', token),
    };
  },
});

export const previewShareList = defineOp({
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
  run: async ({ container }, ctx) => {
    const id =
      container === undefined ? undefined : (await ctx.services.containers.get(ctx.principal.userId, container)).id;
    return { shares: ctx.services.previews.shares(ctx.principal.userId, id).map(toShare) };
  },
});

export const previewShareRevoke = defineOp({
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
  run: async ({ id }, ctx) => toShare(ctx.services.previews.revoke(ctx.principal.userId, id)),
});

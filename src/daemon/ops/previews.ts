import type { z } from 'zod';
import type { ShareSchema } from '../../contracts/previews.js';
import * as contract from '../../contracts/previews.js';
import type { Container } from '../containers/service.js';
import type { PreviewGrant } from '../db/preview-repo.js';
import { ConflictError, DiscoError } from '../errors.js';
import { portClosed } from '../sandbox/host-net.js';
import { implement, type OpContext } from './op.js';

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

export const portsList = implement(contract.portsList, {
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

export const previewOpen = implement(contract.previewOpen, {
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

export const previewShareCreate = implement(contract.previewShareCreate, {
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

export const previewShareList = implement(contract.previewShareList, {
  run: async ({ container }, ctx) => {
    const id =
      container === undefined ? undefined : (await ctx.services.containers.get(ctx.principal.userId, container)).id;
    return { shares: ctx.services.previews.shares(ctx.principal.userId, id).map(toShare) };
  },
});

export const previewShareRevoke = implement(contract.previewShareRevoke, {
  run: async ({ id }, ctx) => toShare(ctx.services.previews.revoke(ctx.principal.userId, id)),
});

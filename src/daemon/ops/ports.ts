import type { z } from 'zod';
import type { AnnouncedPort } from '../../contracts/ports.js';
import type { OpContext } from './op.js';

export { AnnouncedPort, announcedPorts } from '../../contracts/ports.js';

/** The preview URL of a port: the host form when a preview domain is set, else the path form. */
export function previewUrl(ctx: Pick<OpContext, 'services' | 'baseUrl'>, containerId: string, port: number): string {
  // A webcontainer container's server runs in its page, which reported where it is previewed.
  const page = ctx.services.workbench?.previewUrl(containerId, port);
  if (page) return page;
  const u = ctx.services.previews.urls(ctx.baseUrl, containerId, port);
  return u.host ?? u.path;
}

/** The container's listening ports as results announce them (deduplicated by port). */
export async function portsOf(
  ctx: Pick<OpContext, 'services' | 'baseUrl'>,
  containerId: string,
): Promise<z.input<typeof AnnouncedPort>[]> {
  const seen = new Set<number>();
  const out: z.input<typeof AnnouncedPort>[] = [];
  for (const l of await ctx.services.nets.listening(containerId)) {
    if (seen.has(l.port)) continue;
    seen.add(l.port);
    out.push({ port: l.port, url: previewUrl(ctx, containerId, l.port) });
  }
  return out;
}

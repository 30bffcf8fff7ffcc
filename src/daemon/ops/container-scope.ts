import { checkedVersion } from '../auth/principal-cache.js';
import type { Container } from '../containers/service.js';
import type { OpContext } from './op.js';

/** Looks up the caller's container and marks it used; every op working inside a container starts here. */
export async function openContainer(ctx: OpContext, ref: string): Promise<Container> {
  const container = await ctx.services.containers.get(ctx.principal.userId, ref, checkedVersion(ctx.principal));
  ctx.services.containers.touch(container);
  return container;
}

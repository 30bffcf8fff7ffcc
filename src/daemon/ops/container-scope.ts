import { checkedVersion } from '../auth/principal-cache.js';
import type { Container } from '../containers/service.js';
import { DiscoError } from '../errors.js';
import type { OpContext } from './op.js';

/** Looks up the caller's container and marks it used; every op working inside a container starts here. */
export async function openContainer(ctx: OpContext, ref: string): Promise<Container> {
  const container = await ctx.services.containers.get(ctx.principal.userId, ref, checkedVersion(ctx.principal));
  ctx.services.containers.touch(container);
  return container;
}

/** `unsupported` when a webcontainer container is asked for what only the host can do (git, a browser). */
export function assertOnHost(container: Pick<Container, 'runtime'>, what: string): void {
  if (container.runtime === 'webcontainer')
    throw new DiscoError('unsupported', `${what} is not available in the webcontainer runtime`, {
      runtime: 'webcontainer',
    });
}

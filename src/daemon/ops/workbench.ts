import * as contract from '../../contracts/workbench.js';
import { DiscoError } from '../errors.js';
import { openContainer } from './container-scope.js';
import { implement } from './op.js';

export const workbenchOpen = implement(contract.workbenchOpen, {
  run: async ({ container }, ctx) => {
    const c = await openContainer(ctx, container);
    const hub = ctx.services.workbench;
    if (!hub) throw new DiscoError('unavailable', 'this daemon has no workbench (webcontainer runtime)');
    if (c.runtime !== 'webcontainer')
      throw new DiscoError('unsupported', `container '${c.name}' uses the '${c.runtime}' runtime, not webcontainer`);
    const link = await hub.attachUrl(ctx.principal.userId, c.id, ctx.services.config.publicUrl ?? ctx.baseUrl);
    return { ...link, attached: hub.attachedTo(c.id) !== undefined };
  },
  summary: (r) => `open ${r.url.split('#')[0]} (link valid until ${r.expiresAt})`,
});

import * as contract from '../../contracts/terminals.js';
import { openContainer } from './container-scope.js';
import { implement } from './op.js';

export const terminalList = implement(contract.terminalList, {
  run: async ({ container }, ctx) => {
    const containerId = container === undefined ? undefined : (await openContainer(ctx, container)).id;
    return { terminals: ctx.services.terminals.list(ctx.principal.userId, containerId).map((t) => t.info()) };
  },
});

export const terminalClose = implement(contract.terminalClose, {
  run: async ({ id }, { principal, services }) => {
    const t = services.terminals.get(principal.userId, id);
    services.terminals.close(t);
    if (t.running) {
      await Promise.race([
        new Promise<void>((resolve) => t.once('exit', () => resolve())),
        new Promise<void>((resolve) => setTimeout(resolve, 5000).unref()),
      ]);
    }
    return t.info();
  },
});

export {
  ACTION,
  ACTION_OP,
  ActionResultSchema,
  budget,
  EventSummarySchema,
  READ,
  ref,
  sessionName,
  target,
} from '../../contracts/browser-common.js';

import { act } from '../browser/actions.js';
import type { BrowserSession } from '../browser/session.js';
import { DiscoError } from '../errors.js';
import { assertOnHost, openContainer } from './container-scope.js';
import type { OpContext } from './op.js';

/** The caller's container and its browser session, started (or restarted after a crash) when needed. */
export async function sessionOf(
  ctx: OpContext,
  input: { container: string; session: string },
): Promise<BrowserSession> {
  const browsers = ctx.services.browsers;
  if (!browsers) throw new DiscoError('unavailable', 'this daemon has no browser service');
  const c = await openContainer(ctx, input.container);
  assertOnHost(c, 'computer use (a browser in the container)');
  return (await browsers.open(c, input.session)).session;
}

/** Opens the session, performs `perform` on it (on `ref` when given) and returns the diff it caused. */
export async function actOn(
  ctx: OpContext,
  input: { container: string; session: string; budget: number },
  ref: string | undefined,
  perform: (s: BrowserSession) => Promise<unknown>,
) {
  const s = await sessionOf(ctx, input);
  return act(s, ref, () => perform(s), input.budget);
}

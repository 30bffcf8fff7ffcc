import type { Principal } from '../ops/op.js';

/** The CLI's own public OAuth client (`disco login https://…`): loopback redirect, PKCE. */
export const CLI_CLIENT_ID = 'disco-cli';

/**
 * Whether a caller signed in through a third-party OAuth client (ChatGPT, Claude, …) rather than Disco's
 * own CLI, a password or GitHub session, or a personal access token.
 */
export const viaThirdPartyClient = (p: Pick<Principal, 'via' | 'clientId'>): boolean =>
  p.via === 'oauth' && p.clientId !== CLI_CLIENT_ID;

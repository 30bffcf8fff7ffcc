import { actsAsAdmin } from '../auth/scopes.js';
import { DiscoError } from '../errors.js';
import type { Principal } from '../ops/op.js';
import type { NetworkMode } from '../sandbox/network-mode.js';

/**
 * Security: `host` gives a container's commands the host's network namespace — the daemon's own port,
 * every service on the host's loopback, other containers' servers, the cloud metadata address. Only an
 * admin, with a token that carries the `admin` scope, may choose it, and only where the operator allowed it
 * with DISCO_ALLOW_HOST_NETWORK. `off` and `egress` are open to everyone.
 */
export function assertNetworkModeAllowed(
  mode: NetworkMode | undefined,
  who: Pick<Principal, 'isAdmin' | 'scopes'>,
  allowHost: boolean,
): void {
  if (mode !== 'host') return;
  if (!actsAsAdmin(who)) {
    throw new DiscoError(
      'forbidden',
      "only an admin (with a token carrying the 'admin' scope) may choose network mode 'host'",
      {
        network: 'host',
      },
    );
  }
  if (!allowHost) {
    throw new DiscoError(
      'forbidden',
      "network mode 'host' is turned off on this daemon; the operator may allow it with DISCO_ALLOW_HOST_NETWORK=true",
      { network: 'host', setting: 'DISCO_ALLOW_HOST_NETWORK' },
    );
  }
}

/** What /health says about network modes: which exist, the default, and whether `host` is allowed. */
export function networkReport(allowHost: boolean): {
  modes: readonly NetworkMode[];
  default: NetworkMode;
  hostAllowed: boolean;
  warning?: string;
} {
  return {
    modes: ['off', 'egress', 'host'],
    default: 'egress',
    hostAllowed: allowHost,
    ...(allowHost
      ? {
          warning:
            "DISCO_ALLOW_HOST_NETWORK is on: admins may give a container the host's network (its loopback " +
            'services, the daemon, the cloud metadata address)',
        }
      : {}),
  };
}

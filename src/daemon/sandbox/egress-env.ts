/**
 * The loopback port a container's supervisor listens on in `egress` mode, bridged to the daemon's proxy.
 * Fixed so tools configured once keep working; commands of the container cannot take it (it is bound first).
 */
export const EGRESS_PORT = 41080;

/** The proxy environment of commands in `egress` mode (the egress proxy's own: src/daemon/egress/env.ts). */
export { egressEnv } from '../egress/env.js';

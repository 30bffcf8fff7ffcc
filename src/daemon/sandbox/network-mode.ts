/** How a container's commands reach the network. */
export type NetworkMode = 'off' | 'egress' | 'host';
export const NETWORK_MODES = ['off', 'egress', 'host'] as const;

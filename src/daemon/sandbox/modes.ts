import type { NetworkMode } from './network-mode.js';

/** A container's network setting as a mode: the old boolean switch maps true → egress, false → off. */
export function asNetworkMode(v: boolean | NetworkMode): NetworkMode {
  if (v === true) return 'egress';
  if (v === false) return 'off';
  return v;
}

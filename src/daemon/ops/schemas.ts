import type { z } from 'zod';
import { type ContainerSchema, HOST_NETWORK_WARNING } from '../../contracts/schemas.js';
import type { ContainerRow } from '../db/containers-repo.js';

export {
  ContainerSchema,
  containerRef,
  egressRulesInput,
  HOST_NETWORK_WARNING,
  networkModeInput,
  relPath,
} from '../../contracts/schemas.js';

export const toContainerDto = (c: ContainerRow): z.input<typeof ContainerSchema> => ({
  id: c.id,
  name: c.name,
  owner: c.ownerId,
  runtime: c.runtime,
  template: c.template,
  status: c.status,
  network: c.network,
  pinned: c.pinned,
  egress: { allow: [...c.egress.allow], deny: [...c.egress.deny] },
  createdAt: new Date(c.createdAt).toISOString(),
  lastUsedAt: new Date(c.lastUsedAt).toISOString(),
  ...(c.network === 'host' ? { warning: HOST_NETWORK_WARNING } : {}),
});

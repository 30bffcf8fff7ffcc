import { z } from 'zod';
import type { ContainerRow } from '../db/containers-repo.js';

/** Schemas shared by several ops. */
export const containerRef = z.string().min(1).max(128).describe('Container id (ctr_…) or name.');

export const relPath = z
  .string()
  .max(4096)
  .describe("Path relative to the container's workspace root, e.g. 'src/index.ts'. '.' is the root.");

export const ContainerSchema = z.object({
  id: z.string(),
  name: z.string(),
  owner: z.string(),
  runtime: z.string(),
  template: z.string(),
  status: z.string().describe("'ready', 'stopped' (idle: no processes; any use starts it again), 'deleting'"),
  network: z.boolean().describe('Whether commands in the container may use the network.'),
  pinned: z.boolean().describe('Pinned containers are never deleted for being idle.'),
  createdAt: z.string().describe('ISO 8601'),
  lastUsedAt: z.string().describe('ISO 8601'),
});

export const toContainerDto = (c: ContainerRow): z.input<typeof ContainerSchema> => ({
  id: c.id,
  name: c.name,
  owner: c.ownerId,
  runtime: c.runtime,
  template: c.template,
  status: c.status,
  network: c.network,
  pinned: c.pinned,
  createdAt: new Date(c.createdAt).toISOString(),
  lastUsedAt: new Date(c.lastUsedAt).toISOString(),
});

import { z } from 'zod';
import { assertNetworkModeAllowed } from '../containers/network-policy.js';
import { TEMPLATE_NAMES, TEMPLATES } from '../containers/templates.js';
import { RUNTIMES } from '../webcontainer/runtimes.js';
import { defineOp } from './op.js';
import { ContainerSchema, containerRef, egressRulesInput, networkModeInput, toContainerDto } from './schemas.js';

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export const containerCreate = defineOp({
  name: 'container_create',
  target: 'none',
  area: 'containers',
  changesWorkspace: false,
  cluster: 'container_created',
  title: 'Create container',
  description:
    "Use to get a new workspace (container) to work in. template starts it with files: 'blank', 'node' " +
    "(package.json, index.js, a test) or 'python' (main.py, a unittest). Names: lowercase letters, " +
    'digits, . - _ (max 63), unique per user.',
  method: 'POST',
  path: '/containers',
  successStatus: 201,
  input: z.object({
    name: z
      .string()
      .regex(NAME, 'lowercase letters, digits, ".", "-", "_"; starting with a letter or digit; at most 63 characters')
      .refine((n) => !n.startsWith('ctr_'), "must not start with 'ctr_' (reserved for ids)")
      .optional()
      .describe('Optional name; generated from the template when omitted.'),
    template: z.enum(TEMPLATE_NAMES).default('blank').describe('Starting files.'),
    network: networkModeInput.default('egress'),
    egress: egressRulesInput.optional(),
    runtime: z
      .enum(RUNTIMES)
      .optional()
      .describe(
        "Where commands run: 'sandbox' (default, on the daemon's host) or 'webcontainer' (in a browser page the user opens with disco open; see /capabilities).",
      ),
  }),
  output: ContainerSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  scope: 'containers',
  view: 'container',
  run: async (input, { principal, services }) => {
    assertNetworkModeAllowed(input.network, principal, services.config.allowHostNetwork);
    const { egress, ...rest } = input;
    return toContainerDto(
      await services.containers.create(principal.userId, {
        ...rest,
        ...(egress ? { egress: { allow: egress.allow ?? [], deny: egress.deny ?? [] } } : {}),
      }),
    );
  },
});

export const containerList = defineOp({
  name: 'container_list',
  target: 'none',
  area: 'containers',
  changesWorkspace: false,
  cluster: 'list_merged',
  title: 'List containers',
  description: 'Use to find your containers (id, name, template, status), oldest first.',
  method: 'GET',
  path: '/containers',
  input: z.object({}),
  output: z.object({ containers: z.array(ContainerSchema) }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'containers',
  run: async (_input, { principal, services }) => ({
    containers: services.containers.list(principal.userId).map(toContainerDto),
  }),
});

export const containerGet = defineOp({
  name: 'container_get',
  target: 'container',
  area: 'containers',
  changesWorkspace: false,
  title: 'Get container',
  description: 'Use to look up one container by id or name.',
  method: 'GET',
  path: '/containers/:id',
  input: z.object({ id: containerRef }),
  output: ContainerSchema,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'containers',
  view: 'container',
  run: async ({ id }, { principal, services }) => toContainerDto(await services.containers.get(principal.userId, id)),
});

export const containerDelete = defineOp({
  name: 'container_delete',
  target: 'container',
  area: 'containers',
  changesWorkspace: false,
  cluster: 'container_deleted',
  title: 'Delete container',
  description:
    'Use only to destroy a container for good: kills its processes and deletes its files. Cannot be ' + 'undone.',
  method: 'DELETE',
  path: '/containers/:id',
  input: z.object({ id: containerRef }),
  output: ContainerSchema,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  scope: 'containers',
  audit: true,
  run: async ({ id }, { principal, services }) =>
    toContainerDto(await services.containers.delete(principal.userId, id)),
});

export const containerUpdate = defineOp({
  name: 'container_update',
  target: 'container',
  area: 'containers',
  changesWorkspace: false,
  title: 'Update container',
  description:
    "Use to change a container's network mode for new commands ('off', 'egress', 'host'), pin it (never " +
    "deleted as idle), or set its own egress allow/deny domain lists (they only narrow the daemon's).",
  method: 'PATCH',
  path: '/containers/:id',
  input: z.object({
    id: containerRef,
    network: networkModeInput.optional(),
    pinned: z.boolean().optional().describe('Keep the container even when idle.'),
    egress: egressRulesInput.optional(),
  }),
  output: ContainerSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'containers',
  run: async ({ id, egress, ...flags }, { principal, services }) => {
    assertNetworkModeAllowed(flags.network, principal, services.config.allowHostNetwork);
    const c = egress ? await services.containers.get(principal.userId, id) : undefined;
    const rules =
      c && egress ? { allow: egress.allow ?? c.egress.allow, deny: egress.deny ?? c.egress.deny } : undefined;
    return toContainerDto(
      await services.containers.update(principal.userId, id, { ...flags, ...(rules ? { egress: rules } : {}) }),
    );
  },
});

export const containerStop = defineOp({
  name: 'container_stop',
  target: 'container',
  area: 'containers',
  changesWorkspace: false,
  title: 'Stop container',
  description: "Use to stop a container's processes and terminals; files stay, and any later use starts it again.",
  method: 'POST',
  path: '/containers/:id/stop',
  input: z.object({ id: containerRef }),
  output: ContainerSchema,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  scope: 'containers',
  run: async ({ id }, { principal, services }) => {
    const c = await services.containers.get(principal.userId, id);
    return toContainerDto(services.containers.stop(c, 'asked'));
  },
});

export const containerTemplates = defineOp({
  name: 'container_templates',
  target: 'none',
  area: 'containers',
  changesWorkspace: false,
  title: 'List container templates',
  description: 'Use to see which templates container_create accepts and what each contains.',
  method: 'GET',
  path: '/templates',
  input: z.object({}),
  output: z.object({ templates: z.array(z.object({ name: z.string(), description: z.string() })) }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'containers',
  run: async () => ({ templates: TEMPLATE_NAMES.map((name) => ({ name, description: TEMPLATES[name].description })) }),
});

import { z } from 'zod';
import { defineContract } from './contract.js';
import { ContainerSchema, containerRef, egressRulesInput, networkModeInput } from './schemas.js';
import { RUNTIMES, TEMPLATE_NAMES } from './vocabulary.js';

export const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export const containerCreate = defineContract({
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
});

export const containerList = defineContract({
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
});

export const containerGet = defineContract({
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
});

export const containerDelete = defineContract({
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
});

export const containerUpdate = defineContract({
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
});

export const containerStop = defineContract({
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
});

export const containerTemplates = defineContract({
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
});

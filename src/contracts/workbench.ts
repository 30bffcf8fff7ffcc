import { z } from 'zod';
import { defineContract } from './contract.js';
import { containerRef } from './schemas.js';

export const workbenchOpen = defineContract({
  name: 'workbench_open',
  target: 'container',
  area: 'containers',
  changesWorkspace: false,
  title: 'Open workbench',
  description:
    "Use to get the link that opens a webcontainer container's workbench page in the user's browser (its " +
    'commands run in that page: a terminal and the preview show there). The link carries a short-lived ' +
    'attach token; give it to the user to open (the CLI: disco open). One page per container.',
  method: 'POST',
  path: '/containers/:container/workbench',
  input: z.object({ container: containerRef }),
  output: z.object({
    url: z.string().describe('The workbench page with a fresh attach token (in its fragment).'),
    expiresAt: z.string().describe('ISO 8601: the page must attach before this.'),
    attached: z.boolean().describe('A page is attached now (a second one would be refused while it lives).'),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  scope: 'exec',
});

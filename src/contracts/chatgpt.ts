import { z } from 'zod';
import { nextCall } from './budget.js';
import { defineContract } from './contract.js';

export const search = defineContract({
  name: 'search',
  target: 'none',
  area: 'search',
  changesWorkspace: false,
  title: 'Search workspaces',
  description:
    'Use to search the code and documents of all your containers for a free-text query: up to 20 results ' +
    '(id, title, url). Read one with fetch.',
  method: 'GET',
  path: '/search',
  input: z.object({ query: z.string().min(1).max(1000).describe('What to look for, in words or identifiers.') }),
  output: z.object({
    results: z.array(z.object({ id: z.string(), title: z.string(), url: z.string() })),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'files:read',
  view: 'search',
});

export const fetchDocument = defineContract({
  name: 'fetch',
  target: 'none',
  area: 'search',
  changesWorkspace: false,
  title: 'Fetch document',
  description:
    'Use to read a search result by its id: the chunk for ids ending in #L<start>-L<end>, else the whole ' +
    'file (binary as base64). Long documents come in pages (next).',
  method: 'GET',
  path: '/fetch',
  input: z.object({ id: z.string().min(1).max(5000).describe('An id from search results.') }),
  output: z.object({
    id: z.string(),
    title: z.string(),
    text: z.string(),
    url: z.string(),
    next: nextCall.optional(),
    metadata: z
      .object({
        container: z.string(),
        path: z.string(),
        size: z.number().int(),
        encoding: z.string(),
        startLine: z.number().int().optional(),
        endLine: z.number().int().optional(),
        symbol: z.string().optional(),
        truncated: z.boolean().optional(),
      })
      .optional(),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'files:read',
  view: 'file',
});

import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { rankFilesByTerms } from '../workspace/term-search.js';
import { defineOp, type OpContext } from './op.js';

/** A document id for search/fetch: `<container id>/<path inside the workspace>`. */
const docId = (containerId: string, path: string) => `${containerId}/${path}`;

function parseDocId(id: string): { container: string; path: string } {
  const slash = id.indexOf('/');
  if (!id.startsWith('ctr_') || slash < 0 || slash === id.length - 1) {
    throw new ValidationError("id must look like '<container id>/<path>', as returned by search", { id });
  }
  return { container: id.slice(0, slash), path: id.slice(slash + 1) };
}

const fileUrl = (ctx: OpContext, containerId: string, path: string) =>
  `${ctx.baseUrl}/api/v1/containers/${containerId}/files/content?path=${encodeURIComponent(path)}`;

const MAX_RESULTS = 20;

export const search = defineOp({
  name: 'search',
  title: 'Search workspaces',
  description:
    'Searches the files of all your containers for a free-text query and returns the best matching files ' +
    '(files containing more of the query words rank first). Use fetch with a result id to read a file. ' +
    'Returns at most 20 results.',
  method: 'GET',
  path: '/search',
  input: z.object({ query: z.string().min(1).max(1000).describe('What to look for, in words or identifiers.') }),
  output: z.object({
    results: z.array(z.object({ id: z.string(), title: z.string(), url: z.string() })),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'files:read',
  run: async ({ query }, ctx) => {
    const containers = ctx.services.containers.list(ctx.principal.userId);
    const scored: { id: string; title: string; url: string; terms: number; hits: number }[] = [];
    for (const row of containers) {
      if (ctx.signal.aborted) break;
      const c = await ctx.services.containers.get(ctx.principal.userId, row.id);
      for (const f of await rankFilesByTerms(c.root, query, MAX_RESULTS, ctx.signal)) {
        scored.push({
          id: docId(c.id, f.path),
          title: `${c.name}: ${f.path}`,
          url: fileUrl(ctx, c.id, f.path),
          terms: f.terms,
          hits: f.hits,
        });
      }
    }
    scored.sort((a, b) => b.terms - a.terms || b.hits - a.hits);
    return { results: scored.slice(0, MAX_RESULTS).map(({ id, title, url }) => ({ id, title, url })) };
  },
});

export const fetchDocument = defineOp({
  name: 'fetch',
  title: 'Fetch document',
  description:
    'Returns the full text of a file found by search, by its id (`<container id>/<path>`), with its URL. ' +
    'Binary files come back base64-encoded (metadata.encoding says so). For very large files use file_read with a line range.',
  method: 'GET',
  path: '/fetch',
  input: z.object({ id: z.string().min(1).max(5000).describe('An id from search results.') }),
  output: z.object({
    id: z.string(),
    title: z.string(),
    text: z.string(),
    url: z.string(),
    metadata: z
      .object({ container: z.string(), path: z.string(), size: z.number().int(), encoding: z.string() })
      .optional(),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'files:read',
  run: async ({ id }, ctx) => {
    const ref = parseDocId(id);
    const c = await ctx.services.containers.get(ctx.principal.userId, ref.container);
    const file = await ctx.services.files.read(c.root, { path: ref.path, encoding: 'auto' });
    return {
      id: docId(c.id, file.path),
      title: `${c.name}: ${file.path}`,
      text: file.content,
      url: fileUrl(ctx, c.id, file.path),
      metadata: { container: c.name, path: file.path, size: file.size, encoding: file.encoding },
    };
  },
});

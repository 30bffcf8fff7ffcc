import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { rankFilesByTerms } from '../workspace/term-search.js';
import { defineOp, type OpContext } from './op.js';

/**
 * A document id for search/fetch: `<container id>/<path>` for a whole file, with `#L<start>-L<end>` for
 * one chunk found through the index.
 */
const docId = (containerId: string, path: string, lines?: { start: number; end: number }) =>
  `${containerId}/${path}${lines ? `#L${lines.start}-L${lines.end}` : ''}`;

const CHUNK_SUFFIX = /#L(\d+)-L(\d+)$/;

function parseDocId(id: string): { container: string; path: string; lines?: { start: number; end: number } } {
  const slash = id.indexOf('/');
  if (!id.startsWith('ctr_') || slash < 0 || slash === id.length - 1) {
    throw new ValidationError("id must look like '<container id>/<path>', as returned by search", { id });
  }
  const rest = id.slice(slash + 1);
  const m = CHUNK_SUFFIX.exec(rest);
  if (!m) return { container: id.slice(0, slash), path: rest };
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (start < 1 || end < start) throw new ValidationError('invalid line range in id', { id });
  return { container: id.slice(0, slash), path: rest.slice(0, m.index), lines: { start, end } };
}

const fileUrl = (ctx: OpContext, containerId: string, path: string, lines?: { start: number; end: number }) =>
  `${ctx.baseUrl}/api/v1/containers/${containerId}/files/content?path=${encodeURIComponent(path)}${
    lines ? `&startLine=${lines.start}&endLine=${lines.end}` : ''
  }`;

const MAX_RESULTS = 20;

export const search = defineOp({
  name: 'search',
  target: 'none',
  area: 'search',
  changesWorkspace: false,
  title: 'Search workspaces',
  description:
    'Searches the code and documents of all your containers for a free-text query. Indexed containers ' +
    '(see rag_index) answer with the best matching functions, classes and sections (keyword and vector ' +
    'ranking); others with the files holding the most query words. Use fetch with a result id to read ' +
    'the chunk or file. Returns at most 20 results.',
  method: 'GET',
  path: '/search',
  input: z.object({ query: z.string().min(1).max(1000).describe('What to look for, in words or identifiers.') }),
  output: z.object({
    results: z.array(z.object({ id: z.string(), title: z.string(), url: z.string() })),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'files:read',
  view: 'search',
  run: async ({ query }, ctx) => {
    const containers = ctx.services.containers.list(ctx.principal.userId);
    const indexed: { id: string; title: string; url: string; score: number }[] = [];
    const scanned: { id: string; title: string; url: string; terms: number; hits: number }[] = [];
    for (const row of containers) {
      if (ctx.signal.aborted) break;
      const c = await ctx.services.containers.get(ctx.principal.userId, row.id);
      if (ctx.services.rag.hasIndex(c.id)) {
        const r = await ctx.services.rag.searchIndex(c.id, query, { k: MAX_RESULTS, mode: 'hybrid' }, ctx.signal);
        for (const h of r.results) {
          const lines = { start: h.startLine, end: h.endLine };
          indexed.push({
            id: docId(c.id, h.path, lines),
            title: `${c.name}: ${h.path}:${h.startLine}-${h.endLine}${h.symbol ? ` ${h.symbol}` : ''}`,
            url: fileUrl(ctx, c.id, h.path, lines),
            score: h.score,
          });
        }
        continue;
      }
      // No index yet: scan the files for the query's words.
      for (const f of await rankFilesByTerms(c.root, query, MAX_RESULTS, ctx.signal)) {
        scanned.push({
          id: docId(c.id, f.path),
          title: `${c.name}: ${f.path}`,
          url: fileUrl(ctx, c.id, f.path),
          terms: f.terms,
          hits: f.hits,
        });
      }
    }
    indexed.sort((a, b) => b.score - a.score);
    scanned.sort((a, b) => b.terms - a.terms || b.hits - a.hits);
    return {
      results: [...indexed, ...scanned].slice(0, MAX_RESULTS).map(({ id, title, url }) => ({ id, title, url })),
    };
  },
});

export const fetchDocument = defineOp({
  name: 'fetch',
  target: 'none',
  area: 'search',
  changesWorkspace: false,
  title: 'Fetch document',
  description:
    'Returns the full text of a search result by its id, with its URL: the whole chunk (function, class, ' +
    'section) for ids ending in #L<start>-L<end>, else the whole file (`<container id>/<path>`). Binary ' +
    'files come back base64-encoded (metadata.encoding says so). For very large files use file_read with a line range.',
  method: 'GET',
  path: '/fetch',
  input: z.object({ id: z.string().min(1).max(5000).describe('An id from search results.') }),
  output: z.object({
    id: z.string(),
    title: z.string(),
    text: z.string(),
    url: z.string(),
    metadata: z
      .object({
        container: z.string(),
        path: z.string(),
        size: z.number().int(),
        encoding: z.string(),
        startLine: z.number().int().optional(),
        endLine: z.number().int().optional(),
        symbol: z.string().optional(),
      })
      .optional(),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'files:read',
  view: 'file',
  run: async ({ id }, ctx) => {
    const ref = parseDocId(id);
    const c = await ctx.services.containers.get(ctx.principal.userId, ref.container);
    if (ref.lines) {
      const { start, end } = ref.lines;
      const chunk = ctx.services.rag.chunkAt(c.id, ref.path, start, end);
      // The file as it is now; the indexed copy of the chunk when the file has gone since.
      const file = await ctx.services.files
        .read(c.root, { path: ref.path, encoding: 'utf8', startLine: start, endLine: end })
        .catch((err) => {
          if (chunk) return undefined;
          throw err;
        });
      return {
        id: docId(c.id, file?.path ?? ref.path, ref.lines),
        title: `${c.name}: ${ref.path}:${start}-${end}${chunk?.symbol ? ` ${chunk.symbol}` : ''}`,
        text: file?.content ?? chunk?.content ?? '',
        url: fileUrl(ctx, c.id, ref.path, ref.lines),
        metadata: {
          container: c.name,
          path: ref.path,
          size: file?.size ?? 0,
          encoding: 'utf8',
          startLine: start,
          endLine: end,
          ...(chunk?.symbol ? { symbol: chunk.symbol } : {}),
        },
      };
    }
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

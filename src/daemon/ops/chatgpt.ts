import * as contract from '../../contracts/chatgpt.js';
import { ValidationError } from '../errors.js';
import { rankFilesByTerms } from '../workspace/term-search.js';
import { firstLines, type NextCall } from './budget.js';
import { implement, type OpContext } from './op.js';

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

/**
 * The citation URL of a result: a page a person can open from the conversation. A short-lived signed link
 * (DISCO_CITATION_LINK_TTL_SECONDS) to the file's view page, not the bearer-token API (a JSON 401 in a
 * browser); the API URL only where no link signer runs.
 */
async function fileUrl(ctx: OpContext, containerId: string, path: string, lines?: { start: number; end: number }) {
  const links = ctx.services.viewLinks;
  if (!links) {
    return `${ctx.baseUrl}/api/v1/containers/${containerId}/files/content?path=${encodeURIComponent(path)}${
      lines ? `&startLine=${lines.start}&endLine=${lines.end}` : ''
    }`;
  }
  const t = await links.sign({ userId: ctx.principal.userId, containerId, path, ...(lines ? { lines } : {}) });
  return `${ctx.baseUrl}/view/${containerId}/${path.split('/').map(encodeURIComponent).join('/')}?t=${t}`;
}

const MAX_RESULTS = 20;

export const search = implement(contract.search, {
  run: async ({ query }, ctx) => {
    const containers = ctx.services.containers.list(ctx.principal.userId);
    type Hit = { id: string; title: string; c: string; path: string; lines?: { start: number; end: number } };
    const indexed: (Hit & { score: number })[] = [];
    const scanned: (Hit & { terms: number; hits: number })[] = [];
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
            c: c.id,
            path: h.path,
            lines,
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
          c: c.id,
          path: f.path,
          terms: f.terms,
          hits: f.hits,
        });
      }
    }
    indexed.sort((a, b) => b.score - a.score);
    scanned.sort((a, b) => b.terms - a.terms || b.hits - a.hits);
    const top = [...indexed, ...scanned].slice(0, MAX_RESULTS);
    return {
      results: await Promise.all(
        top.map(async (h) => ({ id: h.id, title: h.title, url: await fileUrl(ctx, h.c, h.path, h.lines) })),
      ),
    };
  },
  summary: (r) =>
    [`${r.results.length} results`, ...r.results.slice(0, 10).map((x) => `  ${x.title} (id ${x.id})`)].join('\n'),
});

export const fetchDocument = implement(contract.fetchDocument, {
  run: async ({ id }, ctx) => {
    const ref = parseDocId(id);
    const c = await ctx.services.containers.get(ctx.principal.userId, ref.container);
    const pageBytes = ctx.resultBudget === undefined ? {} : { pageBytes: ctx.resultBudget - 2048 };
    if (ref.lines) {
      const { start, end } = ref.lines;
      const chunk = ctx.services.rag.chunkAt(c.id, ref.path, start, end);
      // The file as it is now; the indexed copy of the chunk when the file has gone since.
      const file = await ctx.services.files
        .read(c.root, { path: ref.path, encoding: 'utf8', startLine: start, endLine: end, ...pageBytes })
        .catch((err) => {
          if (chunk) return undefined;
          throw err;
        });
      return {
        id: docId(c.id, file?.path ?? ref.path, ref.lines),
        title: `${c.name}: ${ref.path}:${start}-${end}${chunk?.symbol ? ` ${chunk.symbol}` : ''}`,
        text: file?.content ?? chunk?.content ?? '',
        url: await fileUrl(ctx, c.id, ref.path, ref.lines),
        ...nextPage(c.id, ref.path, file, end),
        metadata: {
          container: c.name,
          path: ref.path,
          size: file?.size ?? 0,
          encoding: 'utf8',
          startLine: start,
          endLine: end,
          ...(chunk?.symbol ? { symbol: chunk.symbol } : {}),
          ...(file?.truncated ? { truncated: true } : {}),
        },
      };
    }
    const file = await ctx.services.files.read(c.root, { path: ref.path, encoding: 'auto', ...pageBytes });
    return {
      id: docId(c.id, file.path),
      title: `${c.name}: ${file.path}`,
      text: file.content,
      url: await fileUrl(ctx, c.id, file.path),
      ...nextPage(c.id, file.path, file),
      metadata: {
        container: c.name,
        path: file.path,
        size: file.size,
        encoding: file.encoding,
        ...(file.truncated ? { truncated: true } : {}),
      },
    };
  },
  summary: (r) => `${r.title}${r.metadata?.truncated ? ' (first part; see next)' : ''}\n${firstLines(r.text, 12)}`,
});

/**
 * The call that returns the rest of a document cut to fit: fetch of the following lines (an id with a
 * line range), or file_read by byte offset for a binary file or a line too long for a page.
 */
function nextPage(
  containerId: string,
  path: string,
  page: { truncated: boolean; nextStartLine?: number; nextOffset?: number } | undefined,
  lastLine = Number.MAX_SAFE_INTEGER,
): { next?: NextCall } {
  if (!page?.truncated) return {};
  if (page.nextStartLine !== undefined) {
    const end = Math.min(lastLine, page.nextStartLine + 1_000_000);
    return { next: { tool: 'fetch', arguments: { id: docId(containerId, path, { start: page.nextStartLine, end }) } } };
  }
  if (page.nextOffset !== undefined) {
    return { next: { tool: 'file_read', arguments: { container: containerId, path, offset: page.nextOffset } } };
  }
  return {};
}

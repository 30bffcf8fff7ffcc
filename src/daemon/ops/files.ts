import * as contract from '../../contracts/files.js';
import { searchWorkspace } from '../workspace/search.js';
import { firstLines, formatSize, listPage, plural } from './budget.js';
import { openContainer } from './container-scope.js';
import { implement } from './op.js';

export const fileList = implement(contract.fileList, {
  run: async ({ container, offset, ...input }, ctx) => {
    const r = await ctx.services.files.list((await openContainer(ctx, container)).root, {
      ...input,
      limit: offset + input.limit,
    });
    const page = listPage(r.entries.slice(offset), {
      ctx,
      offset,
      fixed: 256,
      more: r.truncated,
      next: (o) => ({ tool: 'file_list', arguments: { container, ...input, offset: o } }),
    });
    return { path: r.path, entries: page.items, truncated: page.truncated, ...(page.next ? { next: page.next } : {}) };
  },
  summary: (r) => {
    const dirs = r.entries.filter((e) => e.type === 'directory').length;
    const head = `${r.path}: ${plural(r.entries.length - dirs, 'file')}, ${plural(dirs, 'directory', 'directories')}${r.truncated ? ' (more follow)' : ''}`;
    const first = r.entries.slice(0, 15).map((e) => `  ${e.path}${e.type === 'directory' ? '/' : ''}`);
    return [head, ...first, ...(r.entries.length > 15 ? ['  …'] : [])].join('\n');
  },
});

export const fileRead = implement(contract.fileRead, {
  run: async ({ container, ...input }, ctx) => {
    const r = await ctx.services.files.read((await openContainer(ctx, container)).root, {
      ...input,
      ...(ctx.resultBudget !== undefined ? { pageBytes: ctx.resultBudget - 1024 } : {}),
    });
    const more = (args: Record<string, unknown>) => ({
      next: { tool: 'file_read', arguments: { container, path: input.path, ...args } },
    });
    if ('nextOffset' in r && r.nextOffset !== undefined) {
      return {
        ...r,
        ...more({ offset: r.nextOffset, ...(input.encoding !== 'auto' ? { encoding: input.encoding } : {}) }),
      };
    }
    if ('nextStartLine' in r && r.nextStartLine !== undefined) {
      return { ...r, ...more({ startLine: r.nextStartLine, ...(input.endLine ? { endLine: input.endLine } : {}) }) };
    }
    return r;
  },
  summary: (r) => {
    const where =
      r.offset !== undefined
        ? `bytes ${r.offset}–${r.offset + (r.encoding === 'base64' ? Math.floor((r.content.length * 3) / 4) : Buffer.byteLength(r.content))}`
        : r.startLine !== undefined
          ? `lines ${r.startLine}–${r.endLine}`
          : `${plural(r.totalLines ?? 0, 'line')}`;
    const head = `${r.path}: ${formatSize(r.size)}, ${where}${r.truncated ? ' (more follows)' : ''}`;
    if (r.encoding === 'base64') return `${head}, binary (base64 in structured content)`;
    return `${head}\n${firstLines(r.content, 12)}`;
  },
});

export const fileWrite = implement(contract.fileWrite, {
  run: async ({ container, ...input }, ctx) =>
    ctx.services.files.write((await openContainer(ctx, container)).root, input),
});

export const fileDelete = implement(contract.fileDelete, {
  run: async ({ container, ...input }, ctx) =>
    ctx.services.files.remove((await openContainer(ctx, container)).root, input),
});

export const fileMove = implement(contract.fileMove, {
  run: async ({ container, ...input }, ctx) =>
    ctx.services.files.move((await openContainer(ctx, container)).root, input),
});

export const fileSearch = implement(contract.fileSearch, {
  run: async ({ container, offset, ...input }, ctx) => {
    const r = await searchWorkspace(
      (await openContainer(ctx, container)).root,
      { ...input, maxResults: offset + input.maxResults },
      undefined,
      ctx.signal,
    );
    // A model gets the start of a very long line (minified code), not all of it.
    const matches = r.matches
      .slice(offset)
      .map((m) =>
        ctx.resultBudget !== undefined && m.text && m.text.length > 400
          ? { ...m, text: `${m.text.slice(0, 400)}…` }
          : m,
      );
    const page = listPage(matches, {
      ctx,
      offset,
      fixed: 512,
      more: r.truncated && r.matches.length >= offset + input.maxResults,
      next: (o) => ({ tool: 'file_search', arguments: { container, ...input, offset: o } }),
    });
    return {
      ...r,
      matches: page.items,
      truncated: r.truncated || page.truncated,
      ...(page.next ? { next: page.next } : {}),
    };
  },
  summary: (r) => {
    const head = `${plural(r.matches.length, 'match', 'matches')} in ${plural(r.filesScanned, 'file')} scanned${r.truncated ? ` (truncated${r.reason ? `: ${r.reason}` : ''})` : ''}`;
    const first = r.matches
      .slice(0, 10)
      .map((m) => `  ${m.path}${m.line ? `:${m.line}` : ''}${m.text ? `: ${m.text.trim().slice(0, 100)}` : ''}`);
    return [head, ...first, ...(r.matches.length > 10 ? ['  …'] : [])].join('\n');
  },
});

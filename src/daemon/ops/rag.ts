import * as contract from '../../contracts/rag.js';
import { LANGUAGES } from '../../contracts/vocabulary.js';
import { ValidationError } from '../errors.js';
import type { IndexStatus } from '../rag/status.js';
import { openContainer } from './container-scope.js';
import { implement } from './op.js';

export { IndexStatusSchema } from '../../contracts/rag.js';

const progressMessage = (s: IndexStatus) => {
  const p = s.progress;
  if (!p) return s.state;
  const eta = p.etaSeconds === null ? '' : `, ETA ${Math.ceil(p.etaSeconds)} s`;
  return `${p.filesDone}/${p.filesTotal} files, ${p.chunks} chunks, ${p.filesPerSecond} files/s${eta}`;
};

export const ragIndex = implement(contract.ragIndex, {
  run: async ({ container, action, force, wait }, ctx) => {
    const c = await openContainer(ctx, container);
    const rag = ctx.services.rag;
    if (action === 'status') return rag.status(c.id);
    if (action === 'cancel') return rag.cancel(c.id);
    const started = await rag.start(c, { force });
    if (!wait) return started;
    const report = (s: IndexStatus) =>
      ctx.progress({
        progress: s.progress?.filesDone ?? 0,
        ...(s.progress ? { total: s.progress.filesTotal } : {}),
        message: progressMessage(s),
      });
    report(started);
    const final = await rag.wait(c.id, report, ctx.signal);
    report(final);
    return final;
  },
});

export const ragSearch = implement(contract.ragSearch, {
  run: async ({ container, query, ...opts }, ctx) => {
    // A language the index never writes matched nothing, said as "no results".
    if (opts.language !== undefined && !LANGUAGES.includes(opts.language)) {
      throw new ValidationError(`language '${opts.language}' is not one of: ${LANGUAGES.join(', ')}`, {
        language: opts.language,
      });
    }
    const c = await openContainer(ctx, container);
    const status = ctx.services.rag.status(c.id);
    const r = await ctx.services.rag.searchIndex(c.id, query, opts, ctx.signal);
    if (status.state === 'indexing' && status.progress) {
      r.warnings.push(
        `the index is being built (${status.progress.filesDone}/${status.progress.filesTotal} files): results may be incomplete`,
      );
    }
    return { container: c.id, ...r };
  },
  summary: (r) =>
    [
      `${r.results.length} hits (${r.mode}, ${Math.round(r.tookMs)} ms)${r.warnings.length ? `; ${r.warnings.join('; ')}` : ''}`,
      ...r.results.slice(0, 10).map((h) => `  ${h.path}:${h.startLine}-${h.endLine}${h.symbol ? ` ${h.symbol}` : ''}`),
    ].join('\n'),
});

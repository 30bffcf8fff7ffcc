import type { Command } from 'commander';
import { plural } from '../../shared/plural.js';
import { ApiError, type DiscoClient } from '../client.js';
import { clientFor } from '../context.js';
import type { Output } from '../output.js';
import { type IndexStatusView, progressLine } from '../ui/progress-text.js';
import { type CommandDeps, outputFor, parseIntOption, withJson } from './shared.js';

export interface IndexOptions {
  force?: boolean;
  status?: boolean;
  cancel?: boolean;
  wait?: boolean;
  /** Poll interval while waiting (tests shorten it). */
  pollMs?: number;
}

function summary(s: IndexStatusView): string {
  const p = s.progress;
  const head = `${s.container}: ${s.state}, ${plural(s.files, 'file')}, ${plural(s.chunks, 'chunk')}`;
  const model = s.embedder ? ` (${s.embedder.id}, ${s.embedder.dimension} dims)` : '';
  if (!p) return `${head}${model}${s.error ? `\nerror: ${s.error}` : ''}`;
  const secs = (p.elapsedMs / 1000).toFixed(1);
  return (
    `${head}${model}\nlast pass: ${p.filesIndexed} re-indexed, ${p.filesUnchanged} unchanged, ${p.filesSkipped} skipped, ` +
    `${p.filesDeleted} removed, ${p.chunks} chunks in ${secs} s (${p.filesPerSecond} files/s)` +
    `${p.truncated ? '\nthe workspace has more files than DISCO_RAG_MAX_FILES; the rest was not indexed' : ''}` +
    `${s.error ? `\nerror: ${s.error}` : ''}`
  );
}

/** A live view while waiting: ink on a terminal, plain lines otherwise. */
async function liveView(out: Output): Promise<{ update(s: IndexStatusView): void; end(): void }> {
  const stream = out.io.stdout as NodeJS.WriteStream;
  if (out.json) return { update: () => {}, end: () => {} };
  if (!stream.isTTY) {
    let last = 0;
    return {
      update: (s) => {
        if (Date.now() - last < 2000) return;
        last = Date.now();
        out.io.stderr.write(`${progressLine(s)}\n`);
      },
      end: () => {},
    };
  }
  const [{ render }, { createElement }, { IndexProgress }] = await Promise.all([
    import('ink'),
    import('react'),
    import('../ui/index-progress.js'),
  ]);
  let app: ReturnType<typeof render> | undefined;
  return {
    update: (s) => {
      const el = createElement(IndexProgress, { status: s });
      if (app) app.rerender(el);
      else app = render(el, { stdout: stream, patchConsole: false, exitOnCtrlC: false });
    },
    end: () => {
      app?.unmount();
      app?.cleanup();
    },
  };
}

export async function indexCommand(
  client: DiscoClient,
  out: Output,
  container: string,
  opts: IndexOptions,
): Promise<number> {
  const action = opts.cancel ? 'cancel' : opts.status ? 'status' : 'start';
  let s = await client.call('rag_index', { container, action, force: opts.force === true });
  if (action !== 'start' || opts.wait === false) {
    out.result(s, () => (s.state === 'indexing' && s.progress ? progressLine(s) : summary(s)));
    return s.state === 'failed' ? 1 : 0;
  }
  const view = await liveView(out);
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    void client.call('rag_index', { container, action: 'cancel' }).catch(() => {});
  };
  process.once('SIGINT', onSigint);
  try {
    while (s.state === 'indexing') {
      view.update(s);
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 250));
      s = await client.call('rag_index', { container, action: 'status' });
    }
    view.update(s);
  } finally {
    process.removeListener('SIGINT', onSigint);
    view.end();
  }
  out.result(s, () => summary(s));
  if (interrupted) return 130;
  return s.state === 'ready' ? 0 : 1;
}

export async function searchCommand(
  client: DiscoClient,
  out: Output,
  container: string,
  query: string,
  opts: { k?: number; path?: string; lang?: string; mode?: 'hybrid' | 'bm25' | 'vector' },
): Promise<number> {
  const r = await client
    .call('rag_search', {
      container,
      query,
      ...(opts.k !== undefined ? { k: opts.k } : {}),
      ...(opts.path ? { path: opts.path } : {}),
      ...(opts.lang ? { language: opts.lang } : {}),
      ...(opts.mode ? { mode: opts.mode } : {}),
    })
    .catch((err: unknown) => {
      if (err instanceof ApiError && err.details?.missing === 'index') {
        throw new ApiError(
          err.code,
          `${container} has no search index yet: run \`disco index ${container}\``,
          err.status,
        );
      }
      throw err;
    });
  // Like grep: found means a hit matched the query's words. Nearest-by-meaning hits alone (which any query
  // has) do not count, except in --mode vector, which asks for exactly those.
  const found = r.mode === 'vector' ? r.results.length > 0 : r.results.some((h) => h.bm25 !== null);
  out.result(r, () => {
    const blocks = r.results.map((h, i) => {
      const where = `${h.path}:${h.startLine}-${h.endLine}`;
      const body = h.snippet
        .split('\n')
        .slice(0, 4)
        .map((l) => `    ${l}`)
        .join('\n');
      return `${i + 1}. ${where}${h.symbol ? `  ${h.symbol}` : ''}  [${h.language}, ${h.score.toFixed(4)}]\n${body}`;
    });
    const warnings = r.warnings.map((w) => `warning: ${w}`);
    if (blocks.length === 0) return [...warnings, 'no results'].join('\n');
    if (!found) warnings.push('warning: no result contains the query words; the closest by meaning:');
    return [...warnings, ...blocks].join('\n');
  });
  return found ? 0 : 1;
}

const MODES = ['hybrid', 'bm25', 'vector'] as const;

export function registerRag(program: Command, deps: CommandDeps): void {
  const client = () => clientFor(deps.cliEnv());
  withJson(
    program.command('index <container>').description('build or refresh the search index of a container (incremental)'),
  )
    .option('--force', 'rebuild from scratch')
    .option('--status', 'show the index and any running pass')
    .option('--cancel', 'cancel the running pass')
    .option('--no-wait', 'start and return without following progress')
    .action(async (c: string, opts: IndexOptions & { json?: boolean }) =>
      deps.setExitCode(await indexCommand(client(), outputFor(deps, opts), c, opts)),
    );
  withJson(program.command('search <container> <query...>').description('search code and docs of an indexed container'))
    .option('-k, --k <n>', 'results (default 10, at most 50)', parseIntOption('-k'))
    .option('--path <glob>', "only paths matching a glob, e.g. 'src/**'")
    .option('--lang <language>', 'only one language, e.g. typescript')
    .option('--mode <mode>', 'hybrid (default), bm25 or vector', (v: string) => {
      if (!(MODES as readonly string[]).includes(v)) throw new Error(`--mode must be one of ${MODES.join(', ')}`);
      return v as (typeof MODES)[number];
    })
    .action(async (c: string, words: string[], opts) =>
      deps.setExitCode(await searchCommand(client(), outputFor(deps, opts), c, words.join(' '), opts)),
    );
}

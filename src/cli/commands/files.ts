import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Command } from 'commander';
import { ApiError, type DiscoClient } from '../client.js';
import { clientFor } from '../context.js';
import { humanSize, type Output, readAll, sizeInWords, table } from '../output.js';
import { readPaged, registerFilesSync } from './files-sync.js';
import { type CommandDeps, outputFor, parseIntOption, withJson } from './shared.js';

export async function filesList(
  client: DiscoClient,
  out: Output,
  container: string,
  path: string,
  opts: { recursive?: boolean; depth?: number; all?: boolean; limit?: number },
) {
  const r = await client.call('file_list', {
    container,
    path,
    recursive: opts.recursive === true,
    all: opts.all === true,
    ...(opts.depth !== undefined ? { depth: opts.depth } : {}),
    ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
  });
  // Sorted by path (byte order, like `ls` under LC_ALL=C), so output is stable and diffable.
  r.entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  out.result(r, () => {
    const rows = r.entries.map((e) => ({
      type: e.type === 'directory' ? 'dir' : e.type,
      size: e.type === 'directory' ? '-' : humanSize(e.size),
      mtime: e.mtime.slice(0, 19).replace('T', ' '),
      path: e.type === 'directory' ? `${e.path}/` : e.path,
    }));
    const body = rows.length === 0 ? '(empty)' : table(rows, ['type', 'size', 'mtime', 'path']);
    return r.truncated ? `${body}\n… more entries not shown (raise --limit)` : body;
  });
}

/** Writes file content raw to stdout (bytes for binary files) so `disco files cat … > f` round-trips. */
export async function filesCat(
  client: DiscoClient,
  out: Output,
  container: string,
  path: string,
  opts: { start?: number; end?: number },
) {
  const whole = opts.start === undefined && opts.end === undefined && !out.json;
  const r = await client
    .call('file_read', {
      container,
      path,
      ...(opts.start !== undefined ? { startLine: opts.start } : {}),
      ...(opts.end !== undefined ? { endLine: opts.end } : {}),
    })
    .catch((err: unknown) => {
      // Over the whole-file read limit (5 MiB by default): `cat` still prints all of it, page by page, as bytes.
      if (whole && err instanceof ApiError && err.code === 'too_large') return undefined;
      throw err;
    });
  if (!r) {
    const stdout = out.io.stdout;
    await readPaged(client, container, path, async (bytes) => {
      if (!stdout.write(bytes)) await new Promise((resolve) => stdout.once('drain', resolve));
    });
    return;
  }
  if (out.json) return out.result(r, () => '');
  out.io.stdout.write(r.encoding === 'base64' ? Buffer.from(r.content, 'base64') : r.content);
}

export async function filesWrite(
  client: DiscoClient,
  out: Output,
  container: string,
  path: string,
  opts: { from?: string; ifMatch?: string },
) {
  const data = opts.from ? await readFile(opts.from) : await readAll(out.io.stdin);
  const text = data.toString('utf8');
  // As text only when it is UTF-8 and its JSON is no larger than base64: control characters escape to six
  // bytes each, which could carry content under the write limit over the request body's limit.
  const isText =
    Buffer.from(text, 'utf8').equals(data) &&
    Buffer.byteLength(JSON.stringify(text)) <= Math.ceil(data.length / 3) * 4 + 2;
  const r = await client.call('file_write', {
    container,
    path,
    content: isText ? text : data.toString('base64'),
    encoding: isText ? 'utf8' : 'base64',
    ...(opts.ifMatch ? { ifMatch: opts.ifMatch } : {}),
  });
  out.result(
    r,
    () => `${r.created ? 'created' : 'wrote'} ${r.path} (${sizeInWords(r.size)}, sha256 ${r.hash.slice(0, 12)})`,
  );
}

export async function filesRemove(
  client: DiscoClient,
  out: Output,
  container: string,
  path: string,
  recursive: boolean,
) {
  const r = await client.call('file_delete', { container, path, recursive });
  out.result(r, () => `deleted ${r.type} ${r.path}`);
}

export async function filesMove(
  client: DiscoClient,
  out: Output,
  container: string,
  from: string,
  to: string,
  overwrite: boolean,
) {
  // Into an existing directory, as mv and git mv do (`files mv web a.txt src` is src/a.txt); -f then
  // replaces src/a.txt, never the directory itself.
  const into = await isDirectory(client, container, to);
  const dest = into ? posix.join(to, posix.basename(posix.normalize(from))) : to;
  const r = await client.call('file_move', { container, from, to: dest, overwrite });
  out.result(r, () => `moved ${r.from} -> ${r.to}`);
}

/** Whether `p` is a directory of the workspace (any error: no, and the op that follows says why). */
async function isDirectory(client: DiscoClient, container: string, p: string): Promise<boolean> {
  try {
    await client.call('file_list', { container, path: p, limit: 1 });
    return true;
  } catch (err) {
    if (err instanceof ApiError) return false;
    throw err;
  }
}

export async function filesSearch(
  client: DiscoClient,
  out: Output,
  container: string,
  query: string | undefined,
  opts: {
    glob?: string;
    regex?: boolean;
    caseSensitive?: boolean;
    path?: string;
    max?: number;
    includeIgnored?: boolean;
  },
): Promise<number> {
  const r = await client.call('file_search', {
    container,
    ...(query ? { query } : {}),
    ...(opts.glob ? { glob: opts.glob } : {}),
    ...(opts.path ? { path: opts.path } : {}),
    ...(opts.max !== undefined ? { maxResults: opts.max } : {}),
    regex: opts.regex === true,
    caseSensitive: opts.caseSensitive === true,
    includeIgnored: opts.includeIgnored === true,
  });
  out.result(r, () => {
    const lines = r.matches.map((m) => (m.line === undefined ? m.path : `${m.path}:${m.line}:${m.column}: ${m.text}`));
    if (r.truncated) lines.push(`… stopped early: ${r.reason ?? 'limit reached'}`);
    return lines.join('\n');
  });
  return r.matches.length > 0 ? 0 : 1; // like grep: 1 when nothing matched
}

export function registerFiles(program: Command, deps: CommandDeps): void {
  const group = program.command('files').alias('f').description('list, read, write, delete, move and search files');
  const client = () => clientFor(deps.cliEnv());
  withJson(group.command('ls <container> [path]').alias('list').description('list a directory'))
    .option('-r, --recursive', 'walk subdirectories')
    .option('--depth <n>', 'levels to descend with -r', parseIntOption('--depth'))
    .option('--limit <n>', 'maximum entries', parseIntOption('--limit'))
    .option('-a, --all', 'include files ignored by .gitignore')
    .action((c: string, p: string | undefined, opts) => filesList(client(), outputFor(deps, opts), c, p ?? '.', opts));
  withJson(group.command('cat <container> <path>').alias('read').description('print a file'))
    .option('--start <line>', 'first line (1-based)', parseIntOption('--start'))
    .option('--end <line>', 'last line (inclusive)', parseIntOption('--end'))
    .action((c: string, p: string, opts) => filesCat(client(), outputFor(deps, opts), c, p, opts));
  withJson(group.command('write <container> <path>').description('write a file from stdin or --from FILE (atomic)'))
    .option('--from <file>', 'read content from a local file instead of stdin')
    .option('--if-match <sha256>', 'only write if the current content has this hash')
    .action((c: string, p: string, opts) => filesWrite(client(), outputFor(deps, opts), c, p, opts));
  withJson(group.command('rm <container> <path>').alias('delete').description('delete a file (directories need -r)'))
    .option('-r, --recursive', 'delete a directory and its contents')
    .action((c: string, p: string, opts) =>
      filesRemove(client(), outputFor(deps, opts), c, p, opts.recursive === true),
    );
  withJson(
    group
      .command('mv <container> <from> <to>')
      .alias('move')
      .description('move or rename (into <to> when it is a directory, as mv does)'),
  )
    .option('-f, --overwrite', 'replace an existing destination')
    .action((c: string, from: string, to: string, opts) =>
      filesMove(client(), outputFor(deps, opts), c, from, to, opts.overwrite === true),
    );
  withJson(
    group.command('search <container> [query]').alias('grep').description('find files by glob and lines by text'),
  )
    .option('-g, --glob <glob>', "file glob, e.g. '**/*.ts'")
    .option('-E, --regex', 'treat the query as a regular expression')
    .option('-s, --case-sensitive', 'match case')
    .option('--path <dir>', 'directory to search under')
    .option('--max <n>', 'maximum results', parseIntOption('--max'))
    .option('--include-ignored', 'also search .gitignored files and node_modules')
    .action(async (c: string, q: string | undefined, opts) =>
      deps.setExitCode(await filesSearch(client(), outputFor(deps, opts), c, q, opts)),
    );
  registerFilesSync(group, deps);
}

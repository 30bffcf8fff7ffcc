import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { plural } from '../../shared/plural.js';
import { linkStaysInside, readTar, safeMemberPath, type TarInput, writeTar } from '../../shared/tar.js';
import { ApiError, type DiscoClient, type OpOutput } from '../client.js';
import { clientFor } from '../context.js';
import type { Output } from '../output.js';
import { type CommandDeps, outputFor, withJson } from './shared.js';

const counts = (r: { files: number; directories: number; bytes: number }) =>
  `${plural(r.files, 'file')}, ${plural(r.directories, 'directory', 'directories')}, ${plural(r.bytes, 'byte')}`;

/** Local side caps, the same order as the daemon's (which enforces its own). */
const MAX_ENTRIES = 20_000;
const MAX_BYTES = 1024 * 1024 * 1024;

/** A local directory as tar members: files, directories and symlinks (as links); nothing else. */
async function packLocal(dir: string): Promise<{ entries: TarInput[]; skipped: string[] }> {
  const entries: TarInput[] = [];
  const skipped: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(path.join(dir, rel))).sort();
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      const abs = path.join(dir, r);
      const st = await lstat(abs);
      if (entries.length >= MAX_ENTRIES) throw new Error(`${dir} holds more than ${MAX_ENTRIES} entries`);
      if (st.isDirectory()) {
        entries.push({ name: r, type: 'directory', linkname: '', data: Buffer.alloc(0), mode: st.mode & 0o777 });
        await walk(r);
      } else if (st.isSymbolicLink()) {
        entries.push({ name: r, type: 'symlink', linkname: await readlink(abs), data: Buffer.alloc(0) });
      } else if (st.isFile()) {
        entries.push({ name: r, type: 'file', linkname: '', data: await readFile(abs), mode: st.mode & 0o777 });
      } else skipped.push(r);
    }
  };
  await walk('');
  return { entries, skipped };
}

export async function filesPush(client: DiscoClient, out: Output, container: string, local: string, remote?: string) {
  const st = await lstat(local).catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'ENOENT' ? new Error(`${local}: no such file or directory (on this machine)`) : err;
  });
  const dest = remote ?? path.basename(path.resolve(local));
  if (st.isFile()) {
    const r = await client.call('file_write', {
      container,
      path: dest,
      content: (await readFile(local)).toString('base64'),
      encoding: 'base64',
    });
    return out.result(r, () => `pushed ${local} to ${r.path} (${r.size} bytes)`);
  }
  if (!st.isDirectory()) throw new Error(`${local} is neither a file nor a directory`);
  const { entries, skipped } = await packLocal(local);
  for (const s of skipped) out.info(`disco: skipped ${s} (not a file, directory or symlink)`);
  const r = await client.call('file_unpack', { container, path: dest, archive: writeTar(entries).toString('base64') });
  out.result(r, () => `pushed ${local} to ${r.path}: ${counts(r)}`);
}

/**
 * Unpacks the daemon's archive under `dest` on this machine. The archive comes from a container, so it is
 * hostile too: members must be relative without `..`, no path may pass through a symlink (checked with
 * lstat, files opened O_NOFOLLOW), and symlinks are made last, only when they stay inside `dest`.
 */
async function unpackLocal(dest: string, archive: Buffer, out: Output) {
  const entries = readTar(archive, { maxEntries: MAX_ENTRIES, maxBytes: MAX_BYTES });
  await mkdir(dest, { recursive: true });
  const noLinkOnTheWay = async (rel: string) => {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const st = await lstat(path.join(dest, ...parts.slice(0, i))).catch(() => undefined);
      if (st && !st.isDirectory())
        throw new Error(`refusing '${rel}': '${parts.slice(0, i).join('/')}' is not a directory`);
    }
  };
  const links: { rel: string; target: string }[] = [];
  for (const e of entries) {
    const safe = safeMemberPath(e.name);
    if ('refused' in safe) throw new Error(`archive member '${e.name}' ${safe.refused}`);
    if (safe.path === '.') continue;
    const abs = path.join(dest, safe.path);
    if (e.type === 'symlink') {
      if (linkStaysInside(safe.path, e.linkname)) links.push({ rel: safe.path, target: e.linkname });
      else out.info(`disco: skipped symlink ${safe.path} -> ${e.linkname} (leads outside)`);
      continue;
    }
    await noLinkOnTheWay(safe.path);
    if (e.type === 'directory') {
      await mkdir(abs, { recursive: true });
    } else if (e.type === 'file') {
      await mkdir(path.dirname(abs), { recursive: true });
      const { O_WRONLY, O_CREAT, O_TRUNC, O_NOFOLLOW } = constants;
      const fh = await open(abs, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, e.mode & 0o111 ? 0o755 : 0o644);
      try {
        await fh.writeFile(e.data);
      } finally {
        await fh.close();
      }
    }
  }
  for (const l of links) {
    await noLinkOnTheWay(l.rel);
    await symlink(l.target, path.join(dest, l.rel)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
      out.info(`disco: kept the existing ${l.rel} (not replaced by a symlink)`);
    });
  }
}

/**
 * Reads a whole file of the workspace as bytes, page by page (byte-offset reads, which a file over the
 * whole-file read limit allows), handing each page to `onPage`. Returns its path as the daemon names it.
 */
export async function readPaged(
  client: DiscoClient,
  container: string,
  remote: string,
  onPage: (bytes: Buffer) => void | Promise<void>,
): Promise<string> {
  let offset = 0;
  let page: OpOutput<'file_read'>;
  do {
    page = await client.call('file_read', { container, path: remote, encoding: 'base64', offset });
    const bytes = Buffer.from(page.content, 'base64');
    await onPage(bytes);
    offset = page.nextOffset ?? offset + bytes.length;
  } while (page.truncated && page.nextOffset !== undefined);
  return page.path;
}

/** A file of the workspace, read in pages as bytes, written to `local` (into it when it is a directory). */
async function pullFile(client: DiscoClient, out: Output, container: string, remote: string, local?: string) {
  const pages: Buffer[] = [];
  const remotePath = await readPaged(client, container, remote, (bytes) => {
    pages.push(bytes);
  });
  const name = path.posix.basename(remotePath);
  const into = local !== undefined && (await lstat(local).catch(() => undefined))?.isDirectory();
  const dest = local === undefined ? name : into ? path.join(local, name) : local;
  const data = Buffer.concat(pages);
  await writeFile(dest, data);
  out.result(
    { path: remotePath, local: dest, size: data.length },
    () => `pulled ${remotePath} to ${dest} (${plural(data.length, 'byte')})`,
  );
}

export async function filesPull(client: DiscoClient, out: Output, container: string, remote: string, local?: string) {
  // A file comes out as itself, as `docker cp` does; file_pack packs directories only.
  const r = await client.call('file_pack', { container, path: remote }).catch((err: unknown) => {
    if (err instanceof ApiError && err.code === 'not_a_directory') return undefined;
    throw err;
  });
  if (!r) return pullFile(client, out, container, remote, local);
  const dest = local ?? (r.path === '.' ? container : path.posix.basename(r.path));
  await unpackLocal(dest, Buffer.from(r.archive, 'base64'), out);
  const { archive: _archive, ...summary } = r;
  out.result({ ...summary, local: dest }, () => `pulled ${r.path} to ${dest}: ${counts(r)}`);
}

export function registerFilesSync(group: Command, deps: CommandDeps): void {
  const client = () => clientFor(deps.cliEnv());
  withJson(
    group
      .command('push <container> <local> [remote]')
      .description('copy a local file or directory into the workspace (to ./<name> unless remote is given)'),
  ).action((c: string, local: string, remote: string | undefined, opts) =>
    filesPush(client(), outputFor(deps, opts), c, local, remote),
  );
  withJson(
    group
      .command('pull <container> <remote> [local]')
      .description('copy a workspace file or directory here (to ./<name> unless local is given)'),
  ).action((c: string, remote: string, local: string | undefined, opts) =>
    filesPull(client(), outputFor(deps, opts), c, remote, local),
  );
}

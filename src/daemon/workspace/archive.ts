import { closeSync, lchownSync, lstatSync, readlinkSync, symlinkSync } from 'node:fs';
import { linkStaysInside, readTar, safeMemberPath, TarError, type TarInput, writeTar } from '../../shared/tar.js';
import { ConflictError, DiscoError, formatBytes, TooLargeError, ValidationError, WriteLimitError } from '../errors.js';
import type { WorkspaceFiles } from './files.js';
import { normalizeRelative } from './paths.js';
import { walkWorkspace } from './walk.js';
import { at, openRegularAt, readCapped, withWorkspace } from './workspace-dir.js';

export interface ArchiveLimits {
  /** Largest archive, and largest total of file content in it. */
  maxBytes: number;
  maxEntries: number;
}

export interface ArchiveSummary {
  path: string;
  files: number;
  directories: number;
  symlinks: number;
  bytes: number;
}

const under = (dest: string, p: string) => (dest === '.' ? p : p === '.' ? dest : `${dest}/${p}`);

/**
 * Unpacks a tar archive into `dest` in the workspace. Security: the archive is hostile. Every member is
 * judged before anything is written, and one bad member refuses the whole archive: absolute names, `..`,
 * hard links, devices and FIFOs, symlinks whose target leaves the unpacked tree, and members under a
 * symlink of the archive. Files are written through the workspace layer (descriptor-relative, never
 * through a link out of the workspace, atomically), directories made the same way, symlinks made last.
 */
export async function unpackArchive(
  files: WorkspaceFiles,
  root: string,
  dest: string,
  archive: Buffer,
  limits: ArchiveLimits,
): Promise<ArchiveSummary> {
  if (archive.length > limits.maxBytes) {
    throw new WriteLimitError(limits.maxBytes, { size: archive.length, what: 'the archive' });
  }
  const base = normalizeRelative(dest);
  let entries: ReturnType<typeof readTar>;
  try {
    entries = readTar(archive, limits);
  } catch (err) {
    if (err instanceof TarError) throw new ValidationError(`archive: ${err.message}`);
    throw err;
  }
  const plan = entries.map((e) => {
    const safe = safeMemberPath(e.name);
    if ('refused' in safe) throw new ValidationError(`archive member '${e.name}' ${safe.refused}`, { member: e.name });
    if (e.type === 'hardlink' || e.type === 'other') {
      throw new ValidationError(
        `archive member '${e.name}' is a hard link, device or FIFO: only files, directories and symlinks`,
        {
          member: e.name,
        },
      );
    }
    if (e.type === 'symlink' && (safe.path === '.' || !linkStaysInside(safe.path, e.linkname))) {
      throw new ValidationError(`archive member '${e.name}' is a symlink that leads out of the archive`, {
        member: e.name,
      });
    }
    return { ...e, rel: safe.path };
  });
  const links = plan.filter((e) => e.type === 'symlink').map((e) => e.rel);
  for (const e of plan) {
    const viaLink = links.find((l) => e.rel.startsWith(`${l}/`));
    if (viaLink)
      throw new ValidationError(`archive member '${e.name}' lies under the symlink '${viaLink}'`, { member: e.name });
  }

  const summary: ArchiveSummary = { path: base, files: 0, directories: 0, symlinks: 0, bytes: 0 };
  const dirs = [base, ...plan.filter((e) => e.type === 'directory' && e.rel !== '.').map((e) => under(base, e.rel))];
  await withWorkspace(root, (ws) => {
    for (const dir of dirs) {
      if (dir === '.') continue;
      // Locating a child with `create` makes every directory above it, the same race-free way writes do.
      const probe = ws.locate(`${dir}/.disco-probe`, { followFinal: false, create: true, owner: files.owner });
      ws.release(probe.dirFd);
    }
  });
  summary.directories = dirs.length - 1;
  for (const e of plan) {
    if (e.type !== 'file') continue;
    await files.writeBytes(root, {
      path: under(base, e.rel),
      data: e.data,
      createParents: true,
      mode: e.mode & 0o111 ? 0o755 : 0o644,
    });
    summary.files++;
    summary.bytes += e.data.length;
  }
  await withWorkspace(root, (ws) => {
    for (const e of plan) {
      if (e.type !== 'symlink') continue;
      const target = ws.locate(under(base, e.rel), { followFinal: false, create: true, owner: files.owner });
      try {
        const existing = lstatSync(at(target.dirFd, target.name), { throwIfNoEntry: false });
        if (existing?.isSymbolicLink() && readlinkSync(at(target.dirFd, target.name)) === e.linkname) continue;
        if (existing)
          throw new ConflictError(`'${under(base, e.rel)}' exists: the archive's symlink is not made over it`);
        symlinkSync(e.linkname, at(target.dirFd, target.name));
        if (files.owner) lchownSync(at(target.dirFd, target.name), files.owner.uid, files.owner.gid);
        summary.symlinks++;
      } finally {
        ws.release(target.dirFd);
      }
    }
  });
  return summary;
}

/**
 * Packs a workspace directory as a tar archive: regular files, directories and symlinks (as links,
 * never followed), read descriptor-relative; FIFOs, sockets and devices are left out.
 */
export async function packArchive(
  root: string,
  src: string,
  limits: ArchiveLimits,
): Promise<{ archive: Buffer; summary: ArchiveSummary; skipped: number }> {
  return withWorkspace(root, async (ws) => {
    const dir = ws.openFollow(src);
    closeSync(dir.fd);
    if (!dir.stat.isDirectory()) {
      throw new DiscoError('not_a_directory', `'${src}' is not a directory (read a file with file_read)`, {
        path: src,
      });
    }
    const entries: TarInput[] = [];
    const summary: ArchiveSummary = { path: dir.rel, files: 0, directories: 0, symlinks: 0, bytes: 0 };
    let skipped = 0;
    const tooLarge = () =>
      new TooLargeError(
        `'${src}' holds more than ${limits.maxEntries} entries or ${formatBytes(limits.maxBytes)}: pull a smaller directory`,
        { limit: limits.maxBytes, maxEntries: limits.maxEntries },
      );
    for await (const e of walkWorkspace(ws, dir.rel, { maxDepth: 64, gitignore: false })) {
      if (entries.length >= limits.maxEntries) throw tooLarge();
      const name = dir.rel === '.' ? e.rel : e.rel.slice(dir.rel.length + 1);
      const st = lstatSync(e.at, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) {
        entries.push({ name, type: 'directory', linkname: '', data: Buffer.alloc(0), mode: st.mode & 0o777 });
        summary.directories++;
      } else if (st.isSymbolicLink()) {
        let linkname: string;
        try {
          linkname = readlinkSync(e.at);
        } catch {
          continue;
        }
        entries.push({ name, type: 'symlink', linkname, data: Buffer.alloc(0) });
        summary.symlinks++;
      } else if (st.isFile()) {
        const file = openRegularAt(e.dirFd, e.dirent.name);
        if (!file) continue;
        try {
          const data = await readCapped(file.fd, file.stat.size, limits.maxBytes - summary.bytes);
          if (data === undefined) throw tooLarge();
          entries.push({ name, type: 'file', linkname: '', data, mode: file.stat.mode & 0o777 });
          summary.files++;
          summary.bytes += data.length;
        } finally {
          closeSync(file.fd);
        }
      } else skipped++;
    }
    return { archive: writeTar(entries), summary, skipped };
  });
}

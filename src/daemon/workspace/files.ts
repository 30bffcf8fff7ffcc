import { closeSync, lstatSync, renameSync, type Stats, unlinkSync } from 'node:fs';
import {
  ConflictError,
  DiscoError,
  fromErrno,
  InvalidPathError,
  NotFoundError,
  ValidationError,
  WriteLimitError,
} from '../errors.js';
import { jsonBytes, sha256 } from './content.js';
import type { DiskBudget } from './disk-budget.js';
import { readBytes, readLines, readWhole, startsBinary } from './file-read.js';
import { writeFileAt } from './file-write.js';
import { KeyedMutex } from './keyed-mutex.js';
import { normalizeRelative } from './paths.js';
import { removeTreeAt } from './remove-tree.js';
import { walkWorkspace } from './walk.js';
import {
  at,
  type Located,
  NotARegularFileError,
  type Owner,
  openRegularAt,
  readCapped,
  withWorkspace,
} from './workspace-dir.js';

export { atomicWrite } from './file-write.js';

export type EntryType = 'file' | 'directory' | 'symlink' | 'other';

export interface FileEntry {
  path: string;
  name: string;
  type: EntryType;
  size: number;
  mtime: string;
}

export interface FileLimits {
  readMaxBytes: number;
  writeMaxBytes: number;
}

export interface WorkspaceFilesOptions extends FileLimits {
  /** When set, every file and directory the daemon creates in a workspace is handed to this uid/gid. */
  owner?: Owner | undefined;
  /** When set, writes are refused with `no_space` below the disk reserve or over the container's quota. */
  budget?: DiskBudget | undefined;
}

const typeOf = (s: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): EntryType =>
  s.isSymbolicLink() ? 'symlink' : s.isDirectory() ? 'directory' : s.isFile() ? 'file' : 'other';

const notADirectory = (p: string) => new DiscoError('not_a_directory', `'${p}' is not a directory`, { path: p });

/**
 * File operations inside one workspace root. Security: every path is resolved component by component from
 * the root's descriptor (WorkspaceDir) and used through the descriptors that resolution pinned, so a
 * process that swaps directories and symlinks meanwhile cannot redirect an operation outside the
 * workspace; only regular files are read or written.
 */
/** A change the daemon made to a workspace; `origin` names who asked when it was not an op (a workbench page). */
export type WorkspaceChange =
  | { kind: 'write'; path: string }
  | { kind: 'remove'; path: string }
  | { kind: 'move'; from: string; to: string };
export type ChangeListener = (root: string, change: WorkspaceChange, origin: string | undefined) => void;

export class WorkspaceFiles {
  private readonly writes = new KeyedMutex();
  private readonly listeners = new Set<ChangeListener>();

  /** Tells `listener` about every write, delete and move made through this object (workbench sync). */
  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(root: string, change: WorkspaceChange, origin: string | undefined): void {
    for (const l of this.listeners) l(root, change, origin);
  }

  constructor(private readonly options: WorkspaceFilesOptions) {}

  /** Who owns what the daemon creates in a workspace (archives make directories and links with it). */
  get owner(): Owner | undefined {
    return this.options.owner;
  }

  async list(
    root: string,
    input: { path: string; recursive: boolean; depth?: number; limit: number; all: boolean },
  ): Promise<{ path: string; entries: FileEntry[]; truncated: boolean }> {
    return withWorkspace(root, async (ws) => {
      const dir = ws.openFollow(input.path);
      closeSync(dir.fd);
      if (!dir.stat.isDirectory()) throw notADirectory(input.path);
      const maxDepth = input.recursive ? (input.depth ?? 10) : 1;
      const entries: FileEntry[] = [];
      let truncated = false;
      for await (const e of walkWorkspace(ws, dir.rel, {
        maxDepth,
        gitignore: !input.all,
        skipDirs: new Set(['.git']),
      })) {
        if (entries.length >= input.limit) {
          truncated = true;
          break;
        }
        const st = lstatSync(e.at, { throwIfNoEntry: false });
        if (!st) continue;
        entries.push({
          path: e.rel,
          name: e.dirent.name,
          type: typeOf(st),
          size: st.size,
          mtime: st.mtime.toISOString(),
        });
      }
      return { path: dir.rel, entries, truncated };
    });
  }

  /**
   * Reads a file: whole, a line range, or a page of bytes from `offset`. With `pageBytes` (a model's result
   * budget) a read never returns more than fits: a big text file comes back as its first lines with
   * `nextStartLine`, a binary file or a line too long for a page by bytes with `nextOffset`.
   */
  async read(
    root: string,
    input: {
      path: string;
      encoding: 'auto' | 'utf8' | 'base64';
      startLine?: number;
      endLine?: number;
      offset?: number;
      pageBytes?: number;
    },
  ) {
    return withWorkspace(root, async (ws) => {
      const { fd, rel, stat } = ws.openFollow(input.path);
      try {
        if (stat.isDirectory())
          throw new DiscoError('not_a_file', `'${input.path}' is a directory`, { path: input.path });
        if (!stat.isFile()) throw new NotARegularFileError(input.path);
        const max = this.options.readMaxBytes;
        const page = input.pageBytes === undefined ? undefined : Math.min(input.pageBytes, max);
        if (input.offset !== undefined) return await readBytes(fd, rel, stat, input, page ?? max);
        const ranged = input.startLine !== undefined || input.endLine !== undefined;
        if (page === undefined) {
          return ranged ? await readLines(fd, rel, stat, input, max) : await readWhole(fd, rel, stat, input, max);
        }
        if (!ranged && stat.size <= page) {
          const whole = await readWhole(fd, rel, stat, input, max);
          if (jsonBytes(whole.content) <= page) return whole;
        }
        if (!ranged && (input.encoding === 'base64' || (await startsBinary(fd, input.encoding)))) {
          return await readBytes(fd, rel, stat, { ...input, offset: 0 }, page);
        }
        const lines = await readLines(fd, rel, stat, { ...input, startLine: input.startLine ?? 1 }, page, 'json');
        // Not even one line fits: read that line by bytes.
        if (lines.truncated && lines.content === '' && lines.startOffset !== undefined) {
          return await readBytes(fd, rel, stat, { ...input, encoding: 'utf8', offset: lines.startOffset }, page);
        }
        return lines;
      } finally {
        closeSync(fd);
      }
    });
  }

  async write(
    root: string,
    input: { path: string; content: string; encoding: 'utf8' | 'base64'; ifMatch?: string; createParents: boolean },
  ) {
    const data = input.encoding === 'base64' ? decodeBase64(input.content) : Buffer.from(input.content, 'utf8');
    return this.writeBytes(root, { ...input, data });
  }

  /** `write` for bytes already decoded (archives unpack through it); `mode` applies to a new file only. */
  async writeBytes(
    root: string,
    input: { path: string; data: Buffer; ifMatch?: string; createParents: boolean; mode?: number; origin?: string },
  ) {
    const { data } = input;
    const max = this.options.writeMaxBytes;
    if (data.length > max) throw new WriteLimitError(max, { size: data.length });
    if (normalizeRelative(input.path) === '.')
      throw new InvalidPathError('cannot write to the workspace root', input.path);
    await this.options.budget?.check(root, data.length);
    return withWorkspace(root, async (ws) => {
      let target: Located;
      try {
        target = ws.locate(input.path, { followFinal: true, create: input.createParents, owner: this.options.owner });
      } catch (err) {
        if (err instanceof NotFoundError && !input.createParents)
          throw new NotFoundError(`parent directory of '${input.path}'`, { path: input.path });
        throw err;
      }
      try {
        const result = await this.writes.run(`${root}\0${target.rel}`, () => this.replace(target, data, input));
        this.options.budget?.wrote(root, data.length);
        this.changed(root, { kind: 'write', path: result.path }, input.origin);
        return result;
      } finally {
        ws.release(target.dirFd);
      }
    });
  }

  /** The write itself, serialised per file: the ifMatch check and the rename cannot interleave with another write. */
  private async replace(target: Located, data: Buffer, input: { path: string; ifMatch?: string; mode?: number }) {
    // Looked at again under the lock: another write may have created it meanwhile.
    const existing = lstatSync(at(target.dirFd, target.name), { throwIfNoEntry: false });
    if (existing?.isDirectory())
      throw new DiscoError('not_a_file', `'${input.path}' is a directory`, { path: input.path });
    if (existing?.isSymbolicLink())
      throw new ConflictError(`'${input.path}' changed while writing`, { path: input.path });
    if (existing && !existing.isFile()) throw new NotARegularFileError(input.path);
    if (input.ifMatch !== undefined) {
      const current = existing ? await this.hashOf(target, input.path) : undefined;
      if (current !== input.ifMatch) {
        throw new ConflictError(`'${input.path}' changed since it was read (ifMatch does not match)`, {
          path: input.path,
          currentHash: current ?? null,
        });
      }
    }
    try {
      await writeFileAt(target.dirFd, target.name, data, {
        mode: existing?.mode ?? input.mode,
        owner: this.options.owner,
      });
    } catch (err) {
      throw fromErrno(err, input.path);
    }
    return { path: target.rel, size: data.length, hash: sha256(data), created: existing === undefined };
  }

  /** Hash of the current file for ifMatch; null when it is too large to have been read whole. */
  private async hashOf(target: Located, clientPath: string): Promise<string | undefined> {
    const file = openRegularAt(target.dirFd, target.name);
    if (!file) throw new NotARegularFileError(clientPath);
    try {
      const data = await readCapped(file.fd, file.stat.size, this.options.readMaxBytes);
      return data === undefined ? undefined : sha256(data);
    } finally {
      closeSync(file.fd);
    }
  }

  async remove(root: string, input: { path: string; recursive: boolean; origin?: string }) {
    if (normalizeRelative(input.path) === '.')
      throw new InvalidPathError('cannot delete the workspace root', input.path);
    return withWorkspace(root, async (ws) => {
      const target = ws.locate(input.path, { followFinal: false });
      try {
        if (!target.stat) throw new NotFoundError(`'${input.path}'`, { path: input.path });
        const type = typeOf(target.stat);
        if (type === 'directory' && !input.recursive) {
          throw new ValidationError(
            `'${input.path}' is a directory; pass recursive: true to delete it and its contents`,
            { path: input.path },
          );
        }
        try {
          if (type === 'directory') await removeTreeAt(target.dirFd, target.name);
          else unlinkSync(at(target.dirFd, target.name));
        } catch (err) {
          throw fromErrno(err, input.path);
        }
        this.options.budget?.invalidate(root);
        this.changed(root, { kind: 'remove', path: target.rel }, input.origin);
        return { path: target.rel, type, deleted: true };
      } finally {
        ws.release(target.dirFd);
      }
    });
  }

  async move(root: string, input: { from: string; to: string; overwrite: boolean; createParents: boolean }) {
    if (normalizeRelative(input.from) === '.' || normalizeRelative(input.to) === '.')
      throw new InvalidPathError('cannot move the workspace root');
    return withWorkspace(root, async (ws) => {
      const from = ws.locate(input.from, { followFinal: false });
      try {
        const src = from.stat;
        if (!src) throw new NotFoundError(`'${input.from}'`, { path: input.from });
        const to = ws.locate(input.to, { followFinal: false, create: input.createParents, owner: this.options.owner });
        try {
          const moved = await this.moveLocated(from, src, to, input);
          this.changed(root, { kind: 'move', from: from.rel, to: to.rel }, undefined);
          return moved;
        } finally {
          ws.release(to.dirFd);
        }
      } finally {
        ws.release(from.dirFd);
      }
    });
  }

  private async moveLocated(
    from: Located,
    src: Stats,
    to: Located,
    input: { from: string; to: string; overwrite: boolean },
  ) {
    if (src.isDirectory() && to.rel.startsWith(`${from.rel}/`)) {
      throw new InvalidPathError(`cannot move '${input.from}' into itself`, input.to);
    }
    const dest = to.stat;
    if (dest && from.rel !== to.rel) {
      if (!input.overwrite) {
        throw new ConflictError(`'${input.to}' already exists; pass overwrite: true to replace it`, { path: input.to });
      }
      if (dest.isDirectory() !== src.isDirectory()) {
        throw new ConflictError(`cannot replace ${typeOf(dest)} '${input.to}' with a ${typeOf(src)}`, {
          path: input.to,
        });
      }
      if (dest.isDirectory()) await removeTreeAt(to.dirFd, to.name);
    }
    try {
      renameSync(at(from.dirFd, from.name), at(to.dirFd, to.name));
    } catch (err) {
      throw fromErrno(err, input.to);
    }
    return { from: from.rel, to: to.rel, type: typeOf(src) };
  }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeBase64(text: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) throw new ValidationError('content is not valid base64');
  return Buffer.from(compact, 'base64');
}

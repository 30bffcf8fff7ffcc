import { randomBytes } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { chmod, lstat, mkdir, open, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import {
  ConflictError,
  DiscoError,
  fromErrno,
  InvalidPathError,
  NotFoundError,
  TooLargeError,
  ValidationError,
} from '../errors.js';
import { formatBytes, isBinary, sha256 } from './content.js';
import { KeyedMutex } from './keyed-mutex.js';
import { lstatOrUndefined, resolveInWorkspace, toRel } from './paths.js';
import { walkWorkspace } from './walk.js';

/** Files up to this size are read with one blocking call; larger ones go through the threadpool. */
const SYNC_READ_MAX = 256 * 1024;

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

const typeOf = (s: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): EntryType =>
  s.isSymbolicLink() ? 'symlink' : s.isDirectory() ? 'directory' : s.isFile() ? 'file' : 'other';

/** Wraps fs errors into typed errors carrying the client's own path, never the absolute one. */
async function guard<T>(clientPath: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw fromErrno(err, clientPath);
  }
}

/** File operations inside one workspace root. Every path goes through resolveInWorkspace first. */
export class WorkspaceFiles {
  private readonly writes = new KeyedMutex();

  constructor(private readonly limits: FileLimits) {}

  async list(
    root: string,
    input: { path: string; recursive: boolean; depth?: number; limit: number; all: boolean },
  ): Promise<{ path: string; entries: FileEntry[]; truncated: boolean }> {
    const dir = await resolveInWorkspace(root, input.path);
    const s = await guard(input.path, () => stat(dir.abs));
    if (!s.isDirectory())
      throw new DiscoError('not_a_directory', `'${input.path}' is not a directory`, { path: input.path });
    const maxDepth = input.recursive ? (input.depth ?? 10) : 1;
    const entries: FileEntry[] = [];
    let truncated = false;
    for await (const e of walkWorkspace(root, dir.rel, {
      maxDepth,
      gitignore: !input.all,
      skipDirs: new Set(['.git']),
    })) {
      if (entries.length >= input.limit) {
        truncated = true;
        break;
      }
      const st = await lstatOrUndefined(e.abs);
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
  }

  async read(
    root: string,
    input: { path: string; encoding: 'auto' | 'utf8' | 'base64'; startLine?: number; endLine?: number },
  ) {
    const file = await resolveInWorkspace(root, input.path);
    const s = await guard(input.path, async () => statSync(file.abs));
    if (!s.isFile()) throw new DiscoError('not_a_file', `'${input.path}' is not a regular file`, { path: input.path });
    const ranged = input.startLine !== undefined || input.endLine !== undefined;
    if (ranged) return this.readLines(file.abs, file.rel, s, input);
    if (s.size > this.limits.readMaxBytes) {
      throw new TooLargeError(
        `'${input.path}' is ${formatBytes(s.size)}, over the ${formatBytes(this.limits.readMaxBytes)} read limit; read a line range (startLine/endLine) instead`,
        { path: input.path, size: s.size, limit: this.limits.readMaxBytes },
      );
    }
    // Perf: small files are read synchronously (one syscall burst, no threadpool round trips).
    const data = await guard(input.path, async () =>
      s.size <= SYNC_READ_MAX ? readFileSync(file.abs) : readFile(file.abs),
    );
    const binary = input.encoding === 'base64' || (input.encoding === 'auto' && isBinary(data));
    const content = binary ? data.toString('base64') : data.toString('utf8');
    return {
      path: file.rel,
      encoding: binary ? ('base64' as const) : ('utf8' as const),
      content,
      size: data.length,
      hash: sha256(data),
      mtime: s.mtime.toISOString(),
      ...(binary ? {} : { totalLines: countLines(content) }),
      truncated: false,
    };
  }

  /** Streams only the requested lines, so a range of a huge log stays cheap; bounded by the read cap. */
  private async readLines(
    abs: string,
    rel: string,
    s: { size: number; mtime: Date },
    input: { path: string; encoding: string; startLine?: number; endLine?: number },
  ) {
    if (input.encoding === 'base64') throw new ValidationError('a line range cannot be read as base64');
    const start = input.startLine ?? 1;
    const end = input.endLine ?? Number.POSITIVE_INFINITY;
    if (end < start)
      throw new ValidationError('endLine must not be before startLine', { startLine: start, endLine: end });
    const lines: string[] = [];
    let bytes = 0;
    let lineNo = 0;
    let truncated = false;
    const rl = createInterface({
      input: createReadStream(abs, { encoding: 'utf8' }),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    try {
      for await (const line of rl) {
        lineNo++;
        if (lineNo < start) continue;
        if (lineNo > end) break;
        bytes += Buffer.byteLength(line) + 1;
        if (bytes > this.limits.readMaxBytes) {
          truncated = true;
          break;
        }
        lines.push(line);
      }
    } finally {
      rl.close();
    }
    const content = lines.length > 0 ? `${lines.join('\n')}\n` : '';
    return {
      path: rel,
      encoding: 'utf8' as const,
      content,
      size: s.size,
      hash: sha256(content),
      mtime: s.mtime.toISOString(),
      startLine: start,
      endLine: start + lines.length - 1,
      truncated,
    };
  }

  async write(
    root: string,
    input: { path: string; content: string; encoding: 'utf8' | 'base64'; ifMatch?: string; createParents: boolean },
  ) {
    const data = input.encoding === 'base64' ? decodeBase64(input.content) : Buffer.from(input.content, 'utf8');
    if (data.length > this.limits.writeMaxBytes) {
      throw new TooLargeError(
        `content is ${formatBytes(data.length)}, over the ${formatBytes(this.limits.writeMaxBytes)} write limit`,
        {
          size: data.length,
          limit: this.limits.writeMaxBytes,
        },
      );
    }
    const target = await resolveInWorkspace(root, input.path);
    if (target.rel === '.') throw new InvalidPathError('cannot write to the workspace root', input.path);
    return this.writes.run(target.abs, async () => {
      const existing = await guard(input.path, () => lstatOrUndefined(target.abs));
      if (existing?.isDirectory())
        throw new DiscoError('not_a_file', `'${input.path}' is a directory`, { path: input.path });
      if (input.ifMatch !== undefined) {
        const current = existing ? sha256(await readFile(target.abs)) : undefined;
        if (current !== input.ifMatch) {
          throw new ConflictError(`'${input.path}' changed since it was read (ifMatch does not match)`, {
            path: input.path,
            currentHash: current ?? null,
          });
        }
      }
      const dir = path.dirname(target.abs);
      if (input.createParents) {
        await guard(input.path, () => mkdir(dir, { recursive: true }));
        // Security: re-resolve after mkdir in case a parent was swapped for a symlink meanwhile.
        const again = await resolveInWorkspace(root, input.path);
        if (again.abs !== target.abs)
          throw new ConflictError(`'${input.path}' changed while writing`, { path: input.path });
      } else if (!(await lstatOrUndefined(dir))) {
        throw new NotFoundError(`parent directory of '${input.path}'`, { path: input.path });
      }
      await guard(input.path, () => atomicWrite(target.abs, data, existing?.mode));
      return { path: target.rel, size: data.length, hash: sha256(data), created: existing === undefined };
    });
  }

  async remove(root: string, input: { path: string; recursive: boolean }) {
    const target = await resolveInWorkspace(root, input.path, { followFinal: false });
    if (target.rel === '.') throw new InvalidPathError('cannot delete the workspace root', input.path);
    const s = await guard(input.path, () => lstat(target.abs));
    const type = typeOf(s);
    if (type === 'directory' && !input.recursive) {
      throw new ValidationError(`'${input.path}' is a directory; pass recursive: true to delete it and its contents`, {
        path: input.path,
      });
    }
    await guard(input.path, () => (type === 'directory' ? rm(target.abs, { recursive: true }) : unlink(target.abs)));
    return { path: target.rel, type, deleted: true };
  }

  async move(root: string, input: { from: string; to: string; overwrite: boolean; createParents: boolean }) {
    const from = await resolveInWorkspace(root, input.from, { followFinal: false });
    const to = await resolveInWorkspace(root, input.to, { followFinal: false });
    if (from.rel === '.' || to.rel === '.') throw new InvalidPathError('cannot move the workspace root');
    const src = await guard(input.from, () => lstat(from.abs));
    if (typeOf(src) === 'directory' && (to.abs + path.sep).startsWith(from.abs + path.sep)) {
      throw new InvalidPathError(`cannot move '${input.from}' into itself`, input.to);
    }
    const dest = await lstatOrUndefined(to.abs);
    if (dest && from.abs !== to.abs) {
      if (!input.overwrite) {
        throw new ConflictError(`'${input.to}' already exists; pass overwrite: true to replace it`, { path: input.to });
      }
      if (dest.isDirectory() !== src.isDirectory()) {
        throw new ConflictError(`cannot replace ${typeOf(dest)} '${input.to}' with a ${typeOf(src)}`, {
          path: input.to,
        });
      }
      if (dest.isDirectory()) await rm(to.abs, { recursive: true });
    }
    if (input.createParents) await guard(input.to, () => mkdir(path.dirname(to.abs), { recursive: true }));
    await guard(input.to, () => rename(from.abs, to.abs));
    return { from: from.rel, to: toRel(root, to.abs), type: typeOf(src) };
  }
}

function countLines(text: string): number {
  if (text === '') return 0;
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return text.endsWith('\n') ? n : n + 1;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeBase64(text: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) throw new ValidationError('content is not valid base64');
  return Buffer.from(compact, 'base64');
}

/**
 * Crash-safe replace: write a sibling temp file, fsync it, rename over the target (atomic on POSIX),
 * then fsync the directory so the rename itself survives a power loss.
 */
export async function atomicWrite(abs: string, data: Uint8Array, mode?: number): Promise<void> {
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.${randomBytes(6).toString('hex')}.disco-tmp`);
  const fh = await open(tmp, 'wx', mode === undefined ? 0o644 : mode & 0o7777);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fh.close();
  try {
    if (mode !== undefined) await chmod(tmp, mode & 0o7777);
    await rename(tmp, abs);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  const dir = await open(path.dirname(abs), 'r').catch(() => undefined);
  if (dir) {
    await dir.sync().catch(() => {});
    await dir.close();
  }
}

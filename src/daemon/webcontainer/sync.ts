import { DiscoError } from '../errors.js';
import type { Logger } from '../log.js';
import type { WorkspaceChange, WorkspaceFiles } from '../workspace/files.js';
import { type DaemonFrame, MAX_SYNC_FILE_BYTES, type PageFrame, type SyncedFile } from './frames.js';

/** Files in one tree batch sent to a page, and the most a tree may hold. */
const BATCH_BYTES = 512 * 1024;
const MAX_TREE_FILES = 20_000;
export const PAGE_ORIGIN = 'workbench-page';

type FsFrame = Extract<PageFrame, { t: 'fs' }>;

/**
 * Keeps one attached page's copy of a workspace in step with the daemon's, which stays the truth (REST
 * file ops, search and the index read it). The page gets the tree on attach and every daemon-side write,
 * delete and move; the page's own changes come back and are applied through WorkspaceFiles (descriptor-
 * relative, race-free), never by re-using a path. Each path carries the daemon's revision: a page change
 * made against an older revision than the daemon's current one lost the race — the daemon's write wins,
 * the page is told (`conflict`) and gets the daemon's copy again.
 */
export class WorkspaceSync {
  private readonly revs = new Map<string, number>();
  private clock = 0;

  constructor(
    private readonly files: WorkspaceFiles,
    private readonly root: string,
    private readonly exclude: readonly string[],
    private readonly send: (frame: DaemonFrame) => void,
    private readonly log: Logger,
  ) {}

  excluded(rel: string): boolean {
    return rel.split('/').some((c) => this.exclude.includes(c) || c === '.git');
  }

  private rev(rel: string): number {
    return this.revs.get(rel) ?? 0;
  }

  /** Sends the workspace tree (excluded paths and files over the sync limit left out) in batches. */
  async sendTree(): Promise<void> {
    const listing = await this.files.list(this.root, {
      path: '.',
      recursive: true,
      depth: 64,
      limit: MAX_TREE_FILES,
      all: true,
    });
    let batch: SyncedFile[] = [];
    let size = 0;
    for (const e of listing.entries) {
      if (e.type !== 'file' || e.size > MAX_SYNC_FILE_BYTES || this.excluded(e.path)) continue;
      const file = await this.read(e.path);
      if (!file) continue;
      batch.push(file);
      size += file.data.length;
      if (size >= BATCH_BYTES) {
        this.send({ t: 'files', files: batch, done: false });
        batch = [];
        size = 0;
      }
    }
    this.send({ t: 'files', files: batch, done: true });
  }

  private async read(rel: string): Promise<SyncedFile | undefined> {
    try {
      const r = await this.files.read(this.root, { path: rel, encoding: 'base64' });
      const data = (r as { content?: unknown }).content;
      if (typeof data !== 'string' || data.length > Math.ceil(MAX_SYNC_FILE_BYTES / 3) * 4) return undefined;
      return { path: rel, data, rev: this.rev(rel) };
    } catch {
      return undefined; // gone, a directory or too large by now: the next change says what it is
    }
  }

  /** A change the daemon made (an op, or a page change applied): pushed unless it came from the page. */
  async daemonChanged(change: WorkspaceChange, origin: string | undefined): Promise<void> {
    if (origin === PAGE_ORIGIN) return;
    const paths = change.kind === 'move' ? [change.from, change.to] : [change.path];
    for (const p of paths) this.revs.set(p, ++this.clock);
    if (change.kind === 'write') await this.push(change.path, false);
    else if (change.kind === 'remove') this.remove(change.path);
    else {
      this.remove(change.from);
      await this.pushTree(change.to);
    }
  }

  private async push(rel: string, conflict: boolean): Promise<void> {
    if (this.excluded(rel)) return;
    const file = await this.read(rel);
    if (file) this.send({ t: 'put', ...file, ...(conflict ? { conflict } : {}) });
    else if (conflict) this.remove(rel);
  }

  private remove(rel: string): void {
    if (!this.excluded(rel)) this.send({ t: 'rm', path: rel, rev: this.rev(rel) });
  }

  /** A moved path may be a directory: every file under it goes again. */
  private async pushTree(rel: string): Promise<void> {
    const listing = await this.files
      .list(this.root, { path: rel, recursive: true, depth: 64, limit: MAX_TREE_FILES, all: true })
      .catch(() => undefined);
    if (!listing) return this.push(rel, false);
    for (const e of listing.entries) {
      if (e.type !== 'file') continue;
      this.revs.set(e.path, ++this.clock);
      await this.push(e.path, false);
    }
  }

  /** Changes the page made: applied unless excluded or stale (then the daemon's copy wins). */
  async fromPage(frame: FsFrame): Promise<void> {
    for (const c of frame.changes) {
      if (this.excluded(c.path)) continue;
      if (c.rev < this.rev(c.path)) {
        this.send({
          t: 'conflict',
          path: c.path,
          message: `'${c.path}' was changed by the daemon meanwhile; its copy wins and your change was not applied`,
        });
        await this.push(c.path, true);
        continue;
      }
      try {
        if (c.op === 'put') {
          await this.files.writeBytes(this.root, {
            path: c.path,
            data: Buffer.from(c.data, 'base64'),
            createParents: true,
            origin: PAGE_ORIGIN,
          });
        } else {
          await this.files.remove(this.root, { path: c.path, recursive: true, origin: PAGE_ORIGIN });
        }
      } catch (err) {
        if (c.op === 'rm' && err instanceof DiscoError && err.code === 'not_found') continue;
        const e = err instanceof DiscoError ? err : undefined;
        this.log.info({ path: c.path, code: e?.code }, 'a workbench page change was not applied');
        this.send({ t: 'conflict', path: c.path, message: e ? e.message : 'the change could not be applied' });
      }
    }
  }
}

import { randomBytes } from 'node:crypto';
import { mkdir, readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { type ContainerRow, type ContainersRepo, NO_EGRESS_RULES } from '../db/containers-repo.js';
import type { DomainRules } from '../egress/policy.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { Logger } from '../log.js';
import type { NetworkMode } from '../sandbox/network-mode.js';
import type { Runtime } from '../webcontainer/runtimes.js';
import type { ProcessTable } from '../workspace/process-table.js';
import { removeTree } from '../workspace/remove-tree.js';
import type { Owner } from '../workspace/sandbox-launch.js';
import { workspaceRoots } from '../workspace/workspace-dir.js';
import { TEMPLATE_NAMES, type TemplateName } from './templates.js';
import { type WarmPool, writeTemplate } from './warm-pool.js';

export const CONTAINER_ID_PREFIX = 'ctr_';
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export function newContainerId(): string {
  const bytes = randomBytes(12);
  let id = CONTAINER_ID_PREFIX;
  for (const b of bytes) id += ID_ALPHABET[b % ID_ALPHABET.length];
  return id;
}

/** Throttle for last-used updates: a busy container should not write SQLite on every file read. */
const TOUCH_EVERY_MS = 5_000;

export interface Container extends ContainerRow {
  /** Realpath of the workspace directory. Never sent to clients. */
  root: string;
}

/** Called when a container stops (idle or asked) or is deleted: whoever runs things in it ends them. */
export type ContainerListener = (containerId: string, event: 'stop' | 'delete') => void;

export class ContainerService {
  private readonly listeners: ContainerListener[] = [];
  /** Starts what a container claimed from the warm pool runs in (its live sandbox) before its first command. */
  prestart: ((container: Container) => void) | undefined;
  /** Containers one owner may have, in any status (DISCO_MAX_CONTAINERS_PER_USER); 0 for no limit. */
  maxPerOwner = 0;
  /** Creates under way per owner, counted against the limit until their row is written. */
  private readonly creating = new Map<string, number>();

  constructor(
    private readonly repo: ContainersRepo,
    private readonly containersDir: string,
    private readonly processes: ProcessTable,
    private readonly log: Logger,
    private readonly pool?: WarmPool,
    /** The sandbox uid of a root daemon: new workspaces belong to it so commands can write there. */
    private readonly owner?: Owner,
  ) {}

  async init(): Promise<void> {
    await mkdir(this.containersDir, { recursive: true, mode: 0o700 });
    // A crash in the middle of a delete leaves the row marked 'deleting': finish the job.
    for (const row of this.repo.list()) {
      if (row.status !== 'deleting') continue;
      await removeTree(path.join(this.containersDir, row.id));
      this.repo.remove(row.id);
      this.log.info({ containerId: row.id }, 'finished an interrupted container delete');
    }
    await this.reconcileDirectories();
    await this.pool?.init();
  }

  /** Lets the process and terminal managers end what runs in a container when it stops or goes. */
  onLifecycle(listener: ContainerListener): void {
    this.listeners.push(listener);
  }

  private emit(containerId: string, event: 'stop' | 'delete'): void {
    for (const l of this.listeners) {
      try {
        l(containerId, event);
      } catch (err) {
        this.log.error({ err, containerId, event }, 'container listener failed');
      }
    }
  }

  /**
   * After a crash: a workspace directory without a row (a create that never committed) is removed; a row
   * whose directory is gone is marked 'missing' so it shows up and can be deleted.
   */
  private async reconcileDirectories(): Promise<void> {
    const rows = new Map(this.repo.list().map((r) => [r.id, r]));
    for (const entry of await readdir(this.containersDir, { withFileTypes: true })) {
      if (!entry.isDirectory() || !entry.name.startsWith(CONTAINER_ID_PREFIX) || rows.has(entry.name)) continue;
      await removeTree(path.join(this.containersDir, entry.name));
      this.log.warn({ containerId: entry.name }, 'removed an orphaned workspace directory');
    }
    for (const row of rows.values()) {
      if (row.status === 'missing') continue;
      const dir = await realpath(path.join(this.containersDir, row.id)).catch(() => undefined);
      if (dir) continue;
      this.repo.setStatus(row.id, 'missing');
      this.log.warn({ containerId: row.id }, 'workspace directory of a container is missing');
    }
  }

  async create(
    ownerId: string,
    input: {
      name?: string | undefined;
      template: TemplateName;
      network?: NetworkMode | undefined;
      egress?: DomainRules | undefined;
      runtime?: Runtime | undefined;
    },
  ): Promise<Container> {
    const id = newContainerId();
    const name =
      input.name ?? `${input.template}-${id.slice(CONTAINER_ID_PREFIX.length, CONTAINER_ID_PREFIX.length + 6)}`;
    if (this.repo.getByName(ownerId, name)) {
      throw new ConflictError(`a container named '${name}' already exists`, { name });
    }
    const release = this.reserve(ownerId);
    try {
      return await this.createReserved(ownerId, id, name, input);
    } finally {
      release();
    }
  }

  /**
   * Security: counts a create against its owner's limit before anything is made (creates under way
   * included, so concurrent ones cannot pass it together); refused, it changes nothing.
   */
  private reserve(ownerId: string): () => void {
    const pending = this.creating.get(ownerId) ?? 0;
    if (this.maxPerOwner > 0 && this.repo.countOwnedBy(ownerId) + pending >= this.maxPerOwner) {
      throw new ConflictError(
        `you have the maximum of ${this.maxPerOwner} containers; delete one (disco containers rm …) before creating another`,
        { limit: 'containers_per_user', max: this.maxPerOwner },
      );
    }
    this.creating.set(ownerId, pending + 1);
    return () => {
      const n = (this.creating.get(ownerId) ?? 1) - 1;
      if (n > 0) this.creating.set(ownerId, n);
      else this.creating.delete(ownerId);
    };
  }

  private async createReserved(
    ownerId: string,
    id: string,
    name: string,
    input: {
      template: TemplateName;
      network?: NetworkMode | undefined;
      egress?: DomainRules | undefined;
      runtime?: Runtime | undefined;
    },
  ): Promise<Container> {
    const dir = path.join(this.containersDir, id);
    const warm = (await this.pool?.claim(input.template, dir, name)) ?? false;
    if (!warm) await mkdir(dir, { mode: 0o755 });
    try {
      if (!warm) await writeTemplate(dir, input.template, name, this.owner);
      const now = Date.now();
      const row: ContainerRow = {
        id,
        name,
        ownerId,
        runtime: input.runtime ?? 'sandbox',
        template: input.template,
        status: 'ready',
        createdAt: now,
        lastUsedAt: now,
        network: input.network ?? 'egress',
        pinned: false,
        egress: input.egress ?? NO_EGRESS_RULES,
      };
      this.repo.insert(row);
      const root = await realpath(dir);
      this.remember({ ...row, root });
      this.log.info({ containerId: id, name, template: input.template, warm }, 'container created');
      if (warm && row.runtime === 'sandbox') this.prestart?.({ ...row, root });
      return { ...row, root };
    } catch (err) {
      await removeTree(dir);
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new ConflictError(`a container named '${name}' already exists`, { name });
      }
      throw err;
    }
  }

  list(ownerId: string): ContainerRow[] {
    return this.repo.list(ownerId);
  }

  /**
   * Looks a container up by id or by its owner-scoped name; others' containers are simply not found.
   * `seen`: the database version (DbChanges) the caller's request was authenticated at, when it has one.
   */
  async get(ownerId: string, idOrName: string, seen?: number): Promise<Container> {
    const cached = this.cached(ownerId, idOrName, seen);
    if (cached) return cached;
    const row = idOrName.startsWith(CONTAINER_ID_PREFIX)
      ? this.repo.get(idOrName)
      : this.repo.getByName(ownerId, idOrName);
    if (!row || row.ownerId !== ownerId) throw new NotFoundError(`container '${idOrName}'`, { container: idOrName });
    let root: string;
    try {
      root = await realpath(path.join(this.containersDir, row.id));
    } catch {
      throw new NotFoundError(`workspace of container '${idOrName}'`, { container: idOrName });
    }
    const container = { ...row, root };
    this.remember(container);
    return container;
  }

  /**
   * Perf: every op inside a container starts with this lookup, so live containers (row and realpath)
   * are kept in memory; each hit is re-checked against SQLite with a primary-key probe, unless nothing in the
   * database has changed (DbChanges) since the last probe.
   */
  private readonly byId = new Map<string, Container>();
  /** The database version each cached container's row was last confirmed at. */
  private readonly confirmed = new Map<string, number>();
  private readonly byName = new Map<string, string>();

  private cached(ownerId: string, idOrName: string, seen: number | undefined): Container | undefined {
    const id = idOrName.startsWith(CONTAINER_ID_PREFIX) ? idOrName : this.byName.get(`${ownerId}\0${idOrName}`);
    const c = id === undefined ? undefined : this.byId.get(id);
    if (!c || c.ownerId !== ownerId) return undefined;
    // Nothing was written to the database, by any process, since the row was last confirmed: it still holds.
    if (seen !== undefined && this.confirmed.get(c.id) === seen) return c;
    // Another process on the same $DISCO_HOME (`disco mcp` beside `disco serve`, `disco worker`) may have
    // stopped or deleted it: a primary-key probe keeps the cache honest for a few microseconds.
    const status = this.repo.statusOf(c.id);
    if (status !== undefined && status !== 'deleting') {
      c.status = status;
      // Probed after `seen` was read: the row is at least that new.
      if (seen !== undefined) this.confirmed.set(c.id, seen);
      return c;
    }
    this.forget(c);
    // Whatever this process still runs for it ends, as if the delete had happened here.
    this.emit(c.id, 'delete');
    return undefined;
  }

  private remember(c: Container): void {
    this.byId.set(c.id, c);
    this.byName.set(`${c.ownerId}\0${c.name}`, c.id);
  }

  private forget(c: ContainerRow): void {
    this.byId.delete(c.id);
    this.confirmed.delete(c.id);
    this.byName.delete(`${c.ownerId}\0${c.name}`);
  }

  /** A container's row by id, whoever owns it (the preview proxy checks the owner itself). */
  row(id: string): ContainerRow | undefined {
    return this.repo.get(id);
  }

  /**
   * Marks a container as used now, at most once a `TOUCH_EVERY_MS` (preview requests: one write a while, not one
   * per asset); a stopped container is ready again.
   */
  touch(container: ContainerRow): void {
    const now = Date.now();
    if (container.status === 'stopped') {
      this.repo.setStatus(container.id, 'ready');
      container.status = 'ready';
      this.repo.touch(container.id, now);
      container.lastUsedAt = now;
      this.log.info({ containerId: container.id }, 'container started again');
      return;
    }
    if (now - container.lastUsedAt < TOUCH_EVERY_MS) return;
    try {
      this.repo.touch(container.id, now);
    } catch (err) {
      // Bookkeeping for the idle reaper: on a full disk (SQLITE_FULL) reads must still be served.
      this.log.warn({ err, containerId: container.id }, 'cannot record container use');
    }
    const cached = this.byId.get(container.id);
    if (cached) cached.lastUsedAt = now;
  }

  /** Marks a container used now by id (a terminal with a client attached keeps it from going idle). */
  markUsed(id: string, now = Date.now()): void {
    this.repo.touch(id, now);
    const cached = this.byId.get(id);
    if (cached) cached.lastUsedAt = now;
  }

  /** Kills everything running in a container; its files stay. Any later use makes it ready again. */
  stop(container: ContainerRow, reason: 'idle' | 'asked' | 'capacity'): ContainerRow {
    const killed = this.processes.killContainer(container.id);
    this.emit(container.id, 'stop');
    this.repo.setStatus(container.id, 'stopped');
    const cached = this.byId.get(container.id);
    if (cached) cached.status = 'stopped';
    this.log.info({ containerId: container.id, reason, killed }, 'container stopped');
    return { ...container, status: 'stopped' };
  }

  /** Changes the network mode, the pin and the egress lists; returns the updated container. */
  async update(
    ownerId: string,
    idOrName: string,
    flags: { network?: NetworkMode | undefined; pinned?: boolean | undefined; egress?: DomainRules | undefined },
  ): Promise<Container> {
    const c = await this.get(ownerId, idOrName);
    this.repo.setFlags(c.id, flags);
    if (flags.network !== undefined) c.network = flags.network;
    if (flags.pinned !== undefined) c.pinned = flags.pinned;
    if (flags.egress !== undefined) c.egress = flags.egress;
    this.log.info({ containerId: c.id, ...flags }, 'container updated');
    return c;
  }

  /**
   * The container's own egress domain lists, read from SQLite on each connection (so a change applies to
   * the next connection of a running sandbox, whichever daemon process made it); undefined when gone.
   */
  egressRules(id: string): DomainRules | undefined {
    return this.repo.egressRules(id);
  }

  /** How many containers are in each status (metrics). */
  countByStatus(): Record<string, number> {
    return this.repo.countByStatus();
  }

  /** Prepared workspaces ready per template (metrics). */
  poolAvailable(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const t of TEMPLATE_NAMES) out[t] = this.pool?.available(t) ?? 0;
    return out;
  }

  /** Stopped, unpinned containers not used since `before`, and ready ones idle since `stopBefore`. */
  idle(stopBefore: number, deleteBefore: number | undefined): { toStop: ContainerRow[]; toDelete: ContainerRow[] } {
    return {
      toStop: this.repo.idleSince(stopBefore, 'ready'),
      toDelete: deleteBefore === undefined ? [] : this.repo.idleSince(deleteBefore, 'stopped').filter((c) => !c.pinned),
    };
  }

  async delete(ownerId: string, idOrName: string): Promise<ContainerRow> {
    const c = await this.get(ownerId, idOrName).catch((err) => {
      // A row whose directory vanished can still be deleted.
      const row = this.repo.get(idOrName) ?? this.repo.getByName(ownerId, idOrName);
      if (row && row.ownerId === ownerId) return { ...row, root: '' };
      throw err;
    });
    this.forget(c);
    if (c.root) workspaceRoots.forget(c.root);
    this.repo.setStatus(c.id, 'deleting');
    const killed = this.processes.killContainer(c.id);
    this.emit(c.id, 'delete');
    // Security: the tree is the container's; a process left behind may swap its directories for links.
    await removeTree(path.join(this.containersDir, c.id));
    this.repo.remove(c.id);
    this.log.info({ containerId: c.id, killed }, 'container deleted');
    return { ...c, status: 'deleted' };
  }
}

import { randomBytes } from 'node:crypto';
import { mkdir, realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ContainerRow, ContainersRepo } from '../db/containers-repo.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ProcessTable } from '../workspace/process-table.js';
import type { TemplateName } from './templates.js';
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

export class ContainerService {
  constructor(
    private readonly repo: ContainersRepo,
    private readonly containersDir: string,
    private readonly processes: ProcessTable,
    private readonly log: Logger,
    private readonly pool?: WarmPool,
  ) {}

  async init(): Promise<void> {
    await mkdir(this.containersDir, { recursive: true, mode: 0o700 });
    // A crash in the middle of a delete leaves the row marked 'deleting': finish the job.
    for (const row of this.repo.list()) {
      if (row.status !== 'deleting') continue;
      await rm(path.join(this.containersDir, row.id), { recursive: true, force: true, maxRetries: 3 });
      this.repo.remove(row.id);
      this.log.info({ containerId: row.id }, 'finished an interrupted container delete');
    }
    await this.pool?.init();
  }

  async create(ownerId: string, input: { name?: string | undefined; template: TemplateName }): Promise<Container> {
    const id = newContainerId();
    const name =
      input.name ?? `${input.template}-${id.slice(CONTAINER_ID_PREFIX.length, CONTAINER_ID_PREFIX.length + 6)}`;
    if (this.repo.getByName(ownerId, name)) {
      throw new ConflictError(`a container named '${name}' already exists`, { name });
    }
    const dir = path.join(this.containersDir, id);
    const warm = (await this.pool?.claim(input.template, dir, name)) ?? false;
    if (!warm) await mkdir(dir, { mode: 0o755 });
    try {
      if (!warm) await writeTemplate(dir, input.template, name);
      const now = Date.now();
      const row: ContainerRow = {
        id,
        name,
        ownerId,
        runtime: 'local',
        template: input.template,
        status: 'ready',
        createdAt: now,
        lastUsedAt: now,
      };
      this.repo.insert(row);
      const root = await realpath(dir);
      this.remember({ ...row, root });
      this.log.info({ containerId: id, name, template: input.template, warm }, 'container created');
      return { ...row, root };
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new ConflictError(`a container named '${name}' already exists`, { name });
      }
      throw err;
    }
  }

  list(ownerId: string): ContainerRow[] {
    return this.repo.list(ownerId);
  }

  /** Looks a container up by id or by its owner-scoped name; others' containers are simply not found. */
  async get(ownerId: string, idOrName: string): Promise<Container> {
    const cached = this.cached(ownerId, idOrName);
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
   * are kept in memory; each hit is re-checked against SQLite with a primary-key probe.
   */
  private readonly byId = new Map<string, Container>();
  private readonly byName = new Map<string, string>();

  private cached(ownerId: string, idOrName: string): Container | undefined {
    const id = idOrName.startsWith(CONTAINER_ID_PREFIX) ? idOrName : this.byName.get(`${ownerId}\0${idOrName}`);
    const c = id === undefined ? undefined : this.byId.get(id);
    if (!c || c.ownerId !== ownerId) return undefined;
    // Another process on the same $DISCO_HOME (`disco mcp` beside `disco serve`) may have deleted it:
    // a primary-key probe keeps the cache honest for a few microseconds.
    if (this.repo.exists(c.id)) return c;
    this.forget(c);
    return undefined;
  }

  private remember(c: Container): void {
    this.byId.set(c.id, c);
    this.byName.set(`${c.ownerId}\0${c.name}`, c.id);
  }

  private forget(c: ContainerRow): void {
    this.byId.delete(c.id);
    this.byName.delete(`${c.ownerId}\0${c.name}`);
  }

  /** Marks a container as used now (throttled); called by every op that works inside it. */
  touch(container: Container): void {
    const now = Date.now();
    if (now - container.lastUsedAt < TOUCH_EVERY_MS) return;
    this.repo.touch(container.id, now);
    const cached = this.byId.get(container.id);
    if (cached) cached.lastUsedAt = now;
  }

  async delete(ownerId: string, idOrName: string): Promise<ContainerRow> {
    const c = await this.get(ownerId, idOrName).catch((err) => {
      // A row whose directory vanished can still be deleted.
      const row = this.repo.get(idOrName) ?? this.repo.getByName(ownerId, idOrName);
      if (row && row.ownerId === ownerId) return { ...row, root: '' };
      throw err;
    });
    this.forget(c);
    this.repo.setStatus(c.id, 'deleting');
    const killed = this.processes.killContainer(c.id);
    await rm(path.join(this.containersDir, c.id), { recursive: true, force: true, maxRetries: 3 });
    this.repo.remove(c.id);
    this.log.info({ containerId: c.id, killed }, 'container deleted');
    return { ...c, status: 'deleted' };
  }
}

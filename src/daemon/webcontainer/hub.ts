import type { Duplex } from 'node:stream';
import type { Config } from '../config.js';
import type { ContainersRepo } from '../db/containers-repo.js';
import { DiscoError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ContainerNet, ListeningPort, PortEvent } from '../sandbox/container-net.js';
import type { WorkspaceFiles } from '../workspace/files.js';
import type { AttachTokens } from './attach-token.js';
import type { DaemonFrame } from './frames.js';
import type { HeadlessPages } from './headless.js';
import { WorkbenchRuntime } from './runtime.js';
import { WorkspaceSync } from './sync.js';

/** How long an op waits for a page the daemon opened itself to attach and mount. */
const HEADLESS_ATTACH_MS = 30_000;

/** One page attached to one container. */
export interface Attachment {
  containerId: string;
  userId: string;
  runtime: WorkbenchRuntime;
  sync: WorkspaceSync;
  /** Booted and mounted: commands may go to it. */
  ready: boolean;
  /** Ends the page's connection (replaced, container gone). */
  disconnect(): void;
  /** Whether its connection is still up (a page gone without a goodbye does not hold the container). */
  alive(): boolean;
}

/**
 * The webcontainer runtime's side of the daemon: which container has a workbench page attached, and the
 * way to it. The process manager, terminals and previews route containers whose runtime is `webcontainer`
 * here (`route`), where the others go to the live sandbox pool; ports are those the page announces.
 */
export class WorkbenchHub implements ContainerNet {
  private readonly attached = new Map<string, Attachment>();
  /** Each container's runtime, as created (see isWebcontainer). */
  private readonly runtimes = new Map<string, string>();
  private readonly waiters = new Map<string, Set<() => void>>();
  /** The last boot failure a page of a container reported. */
  private readonly failures = new Map<string, string>();
  private readonly portListeners = new Set<(e: PortEvent) => void>();
  /** The daemon's own URL (set once it listens): where workbench pages live. */
  baseUrl = '';

  constructor(
    private readonly config: Config,
    private readonly repo: ContainersRepo,
    readonly files: WorkspaceFiles,
    readonly tokens: AttachTokens,
    private readonly log: Logger,
    private readonly headless: HeadlessPages | undefined,
  ) {
    if (headless) headless.onFailure = (containerId, message) => this.pageFailed(containerId, message);
    files.onChange((root, change, origin) => {
      for (const a of this.attached.values()) {
        if (a.runtime.root !== root) continue;
        a.sync
          .daemonChanged(change, origin)
          .catch((err) => log.warn({ err }, 'cannot push a change to a workbench page'));
      }
    });
  }

  /** The page URL of a container (without an attach token: `disco open` adds a fresh one). */
  pageUrl(containerId: string, base = this.config.publicUrl ?? this.baseUrl): string {
    return `${base}/workbench/${encodeURIComponent(containerId)}`;
  }

  /** The page URL with a fresh attach token in its fragment (never sent to a server, never logged). */
  async attachUrl(userId: string, containerId: string, base?: string): Promise<{ url: string; expiresAt: string }> {
    const token = await this.tokens.sign({ userId, containerId });
    return {
      url: `${this.pageUrl(containerId, base)}#attach=${token}`,
      expiresAt: new Date(Date.now() + this.tokens.ttlSeconds * 1000).toISOString(),
    };
  }

  /**
   * Perf: every command asks, and a container's runtime is fixed when it is created (its id never reused):
   * each container's is read from SQLite once (bounded: a full memo starts over).
   */
  isWebcontainer(containerId: string): boolean {
    let runtime = this.runtimes.get(containerId);
    if (runtime === undefined) {
      runtime = this.repo.runtimeOf(containerId);
      if (runtime === undefined) return false;
      if (this.runtimes.size >= 10_000) this.runtimes.clear();
      this.runtimes.set(containerId, runtime);
    }
    return runtime === 'webcontainer';
  }

  /** The attached page's runtime for a webcontainer container (attaching a headless one if allowed); undefined for others. */
  route(containerId: string): Promise<WorkbenchRuntime> | undefined {
    return this.isWebcontainer(containerId) ? this.get(containerId) : undefined;
  }

  /** Whether a page is attached and ready. */
  attachedTo(containerId: string): Attachment | undefined {
    const a = this.attached.get(containerId);
    return a && !a.runtime.dead ? a : undefined;
  }

  /**
   * Whether someone has the container's page open: a live page attached that is not the daemon's own
   * headless one. The idle reaper counts it as use (a person at the page is using the container even when
   * no API call comes); the daemon's headless page does not count, or it would keep itself open forever.
   */
  inUse(containerId: string): boolean {
    const a = this.attachedTo(containerId);
    return a?.alive() === true && !this.headless?.has(containerId);
  }

  /** The containers `inUse` says are in use (marked used each minute for `disco worker`'s sweep). */
  inUseIds(): string[] {
    return [...this.attached.keys()].filter((id) => this.inUse(id));
  }

  async get(containerId: string): Promise<WorkbenchRuntime> {
    const a = this.attachedTo(containerId);
    if (a?.ready) return a.runtime;
    const row = this.repo.get(containerId);
    const name = row?.name ?? containerId;
    const known = a && this.failures.get(containerId);
    if (known) {
      // The attached page said it cannot boot: no use waiting for it (a boot that answers later clears this).
      throw new DiscoError('unavailable', `the workbench page cannot run commands: ${known}`, {
        url: this.pageUrl(containerId),
        open: `disco open ${name}`,
      });
    }
    if (!a && !(this.headless && row)) {
      const failed = this.failures.get(containerId);
      throw new DiscoError(
        'unavailable',
        `no workbench page is attached to this webcontainer container${failed ? ` (the last one could not boot: ${failed})` : ''}: run \`disco open ${name}\` (or open ${this.pageUrl(containerId)} with a fresh attach link) and retry`,
        { url: this.pageUrl(containerId), open: `disco open ${name}` },
      );
    }
    this.failures.delete(containerId);
    if (!a && this.headless && row) {
      const { url } = await this.attachUrl(row.ownerId, containerId, this.baseUrl);
      await this.headless.open(containerId, url).catch((err: unknown) => {
        this.log.warn({ err: String(err).slice(0, 300), containerId }, 'cannot open a headless workbench page');
        throw new DiscoError(
          'unavailable',
          `the daemon cannot open the workbench page itself: run \`disco open ${name}\` and retry`,
          { url: this.pageUrl(containerId), open: `disco open ${name}` },
        );
      });
    }
    await this.waitReady(containerId, HEADLESS_ATTACH_MS);
    const now = this.attachedTo(containerId);
    if (now?.ready) return now.runtime;
    const failed = this.failures.get(containerId);
    throw new DiscoError(
      'unavailable',
      failed ? `the workbench page cannot run commands: ${failed}` : 'the workbench page did not become ready in time',
      { url: this.pageUrl(containerId), open: `disco open ${name}` },
    );
  }

  private waitReady(containerId: string, ms: number): Promise<void> {
    if (this.attachedTo(containerId)?.ready) return Promise.resolve();
    return new Promise((resolve) => {
      const set = this.waiters.get(containerId) ?? new Set();
      this.waiters.set(containerId, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }

  /**
   * A page connected for a container: refused (`attached elsewhere`) while another live page holds it.
   * The caller validated its token and Origin.
   */
  attach(
    containerId: string,
    userId: string,
    root: string,
    emit: (frame: DaemonFrame) => void,
    disconnect: () => void,
    alive: () => boolean,
  ): Attachment {
    const current = this.attachedTo(containerId);
    if (current?.alive())
      throw new DiscoError('conflict', 'this container is attached elsewhere (another workbench page holds it)');
    if (current) this.detach(current, 'replaced after its connection was lost');
    const runtime = new WorkbenchRuntime(containerId, root, emit);
    runtime.on('port', (e) => {
      for (const l of this.portListeners) l({ containerId, port: e.port, open: e.open, pid: null });
    });
    const sync = new WorkspaceSync(this.files, root, this.config.webcontainerSyncExclude, emit, this.log);
    const a: Attachment = { containerId, userId, runtime, sync, ready: false, disconnect, alive };
    this.attached.set(containerId, a);
    this.log.info({ containerId }, 'a workbench page attached');
    return a;
  }

  /** The page booted and mounted the tree. */
  markReady(a: Attachment): void {
    a.ready = true;
    this.failures.delete(a.containerId);
    for (const w of [...(this.waiters.get(a.containerId) ?? [])]) w();
  }

  /** The page could not boot its runtime (no isolation, no licence, runtime unreachable): ops waiting are told why. */
  bootFailed(a: Attachment, message: string): void {
    this.pageFailed(a.containerId, message);
  }

  /**
   * A page of the container cannot boot: ops waiting for it are told why. The daemon's own page is closed,
   * so the next command opens a fresh one (a network that came back is found then).
   */
  private pageFailed(containerId: string, message: string): void {
    this.failures.set(containerId, message);
    for (const w of [...(this.waiters.get(containerId) ?? [])]) w();
    if (this.headless?.has(containerId)) void this.headless.close(containerId);
  }

  /** The page went away: its processes are lost. */
  detach(a: Attachment, reason: string): void {
    if (this.attached.get(a.containerId) === a) this.attached.delete(a.containerId);
    if (!a.runtime.dead)
      this.log.info({ containerId: a.containerId, lost: a.runtime.size, reason }, 'a workbench page left');
    a.runtime.lose(reason);
  }

  /** Container stopped or deleted: its page is let go (a headless one closed). */
  endContainer(containerId: string): void {
    const a = this.attached.get(containerId);
    if (a) {
      this.detach(a, 'container stopped');
      a.disconnect();
    }
    void this.headless?.close(containerId);
  }

  /** Where a port of a webcontainer container is previewed: the URL its page reported. */
  previewUrl(containerId: string, port: number): string | undefined {
    return this.attachedTo(containerId)?.runtime.ports.get(port) ?? undefined;
  }

  async connect(_containerId: string, _port: number): Promise<Duplex> {
    throw new DiscoError(
      'unsupported',
      "a webcontainer container's ports are served by its workbench page, not through the daemon: use the preview URL the page reported",
    );
  }

  async listening(containerId: string): Promise<ListeningPort[]> {
    const a = this.attachedTo(containerId);
    if (!a?.ready) return [];
    return (await a.runtime.listening()).map((p) => ({ port: p.port, address: 'page', pid: null, command: null }));
  }

  onPort(listener: (e: PortEvent) => void): () => void {
    this.portListeners.add(listener);
    return () => this.portListeners.delete(listener);
  }

  async shutdown(): Promise<void> {
    for (const a of [...this.attached.values()]) {
      this.detach(a, 'daemon shutting down');
      a.disconnect();
    }
    await this.headless?.shutdown();
  }
}

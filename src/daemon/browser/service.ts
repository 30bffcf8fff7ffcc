import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Container } from '../containers/service.js';
import { ConflictError, DiscoError, ForbiddenError, NotFoundError } from '../errors.js';
import type { Logger } from '../log.js';
import type { SandboxPool } from '../sandbox/pool.js';
import { removeTree } from '../workspace/remove-tree.js';
import type { Sandbox } from '../workspace/sandbox.js';
import { DevtoolsBridge } from './bridge.js';
import { CHROMIUM_BINARIES, chromiumArgs, launchChromium } from './launch.js';
import { BrowserSession } from './session.js';

export interface BrowserOptions {
  /** Host directory of every container's profiles (`<dir>/<container>/<session>`), the pool's `browserDir`. */
  profilesDir: string;
  /** A session nobody used for this long is closed. */
  idleMs: number;
  /** Live sessions per daemon. */
  max: number;
  log: Logger;
}

export { SESSION_NAME } from '../../contracts/vocabulary.js';

/**
 * The browsers of containers: named sessions, each a Chromium inside its container's live sandbox, so it
 * reaches exactly what the container reaches (its own loopback ports; the outside only through its
 * egress policy) and sees only its files. Never a browser on the host: without a sandbox, or for a
 * container on the host's network (whose loopback holds the daemon and the host's services), it refuses.
 */
export class BrowserService {
  private readonly sessions = new Map<string, BrowserSession>();
  private readonly starting = new Map<string, Promise<BrowserSession>>();
  private readonly binary = CHROMIUM_BINARIES.find((b) => existsSync(b));
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly sandbox: Sandbox,
    private readonly pool: SandboxPool | undefined,
    private readonly opts: BrowserOptions,
  ) {
    this.timer = setInterval(() => this.reapIdle(), Math.min(60_000, Math.max(1_000, opts.idleMs / 4)));
    this.timer.unref();
  }

  /** What doctor and errors say about this host. */
  get available(): { ok: boolean; reason?: string } {
    if (!this.binary) return { ok: false, reason: 'chromium is not installed (apt-get install chromium)' };
    if (!this.pool)
      return { ok: false, reason: 'commands are not sandboxed here; the browser runs only inside a sandbox' };
    return { ok: true };
  }

  private key(containerId: string, name: string): string {
    return `${containerId}/${name}`;
  }

  /** The container's session `name`, started (or restarted after a crash) when needed. */
  async open(container: Container, name: string): Promise<{ session: BrowserSession; started: boolean }> {
    const k = this.key(container.id, name);
    const live = this.sessions.get(k);
    if (live && !live.dead) return { session: live, started: false };
    if (live) this.sessions.delete(k);
    const pending = this.starting.get(k);
    if (pending) return { session: await pending, started: false };
    const p = this.start(container, name);
    this.starting.set(k, p);
    try {
      const session = await p;
      this.sessions.set(k, session);
      return { session, started: true };
    } finally {
      this.starting.delete(k);
    }
  }

  /** An open session, or not_found. */
  get(containerId: string, name: string): BrowserSession {
    const s = this.sessions.get(this.key(containerId, name));
    if (!s || s.dead) throw new NotFoundError(`browser session '${name}'`, { container: containerId, session: name });
    return s;
  }

  list(containerId: string): BrowserSession[] {
    return [...this.sessions.values()].filter((s) => s.containerId === containerId && !s.dead);
  }

  private async start(container: Container, name: string): Promise<BrowserSession> {
    const why = this.available;
    if (!why.ok || !this.binary || !this.pool) throw new DiscoError('unavailable', `no browser here: ${why.reason}`);
    if (container.network === 'host') {
      throw new ForbiddenError(
        "a container on the host's network cannot have a browser: it would reach the daemon and the host's loopback services",
      );
    }
    const live = [...this.sessions.values()].filter((s) => !s.dead).length + this.starting.size;
    if (live >= this.opts.max) {
      throw new ConflictError(`this daemon runs at most ${this.opts.max} browsers; close one (browser_close) first`, {
        max: this.opts.max,
      });
    }
    const startedAt = performance.now();
    const box = await this.pool.get({ containerId: container.id, root: container.root, network: container.network });
    const argv = this.sandbox.withLimits(chromiumArgs(this.binary, name, container.network === 'egress'));
    const t1 = performance.now();
    const launched = await launchChromium(box, argv, name);
    const t2 = performance.now();
    let bridge: DevtoolsBridge | undefined;
    try {
      bridge = await DevtoolsBridge.open(() => box.dial(launched.port), launched);
      // Loaded on first use: most daemons never start a browser.
      const { chromium } = await import('playwright-core');
      const browser = await chromium.connectOverCDP(bridge.url, { timeout: 15_000 });
      const context = browser.contexts()[0] ?? (await browser.newContext());
      context.setDefaultTimeout(5_000);
      context.setDefaultNavigationTimeout(15_000);
      const page = context.pages()[0] ?? (await context.newPage());
      const ms = (a: number, b: number) => Math.round(b - a);
      this.opts.log.info(
        {
          containerId: container.id,
          session: name,
          sandboxMs: ms(startedAt, t1),
          launchMs: ms(t1, t2),
          connectMs: ms(t2, performance.now()),
        },
        'browser started',
      );
      return new BrowserSession(container.id, name, startedAt, launched.child, bridge, browser, context, page);
    } catch (err) {
      launched.child.killGroup('SIGKILL');
      bridge?.close();
      throw err instanceof DiscoError
        ? err
        : new DiscoError(
            'unavailable',
            `cannot connect to the browser: ${String((err as Error).message).slice(0, 200)}`,
          );
    }
  }

  async close(containerId: string, name: string): Promise<boolean> {
    const k = this.key(containerId, name);
    const s = this.sessions.get(k);
    this.sessions.delete(k);
    if (!s) return false;
    await s.close();
    return true;
  }

  /** Container stopped or deleted: its browsers end (the sandbox's end kills them anyway). */
  endContainer(containerId: string): void {
    for (const s of this.list(containerId)) {
      this.sessions.delete(this.key(containerId, s.name));
      s.close().catch(() => {});
    }
  }

  /**
   * A deleted container's profiles go. Security: the directory was bound read-write into the container's
   * sandbox, so everything in it is the container's (links, directories swapped for links mid-delete): call
   * this once the sandbox has ended, and it never follows a link (removeTree), so nothing outside goes.
   */
  async dropProfiles(containerId: string): Promise<void> {
    if (/^[A-Za-z0-9_-]{1,64}$/.test(containerId)) await removeTree(path.join(this.opts.profilesDir, containerId));
  }

  private reapIdle(): void {
    const now = Date.now();
    for (const [k, s] of this.sessions) {
      if (s.dead) this.sessions.delete(k);
      else if (now - s.lastUsed > this.opts.idleMs) {
        this.sessions.delete(k);
        this.opts.log.info({ containerId: s.containerId, session: s.name }, 'idle browser closed');
        s.close().catch(() => {});
      }
    }
  }

  async shutdown(): Promise<void> {
    clearInterval(this.timer);
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.close().catch(() => {})));
  }
}

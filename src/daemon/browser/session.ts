import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import type { RunningChild } from '../sandbox/child.js';
import type { DevtoolsBridge } from './bridge.js';
import { VIEWPORT } from './launch.js';
import { compact, diffLines } from './snapshot.js';

/** One thing that went wrong in the page: a console error, an uncaught exception, a failed request… */
export interface BrowserEvent {
  seq: number;
  kind: 'console' | 'pageerror' | 'request_failed' | 'http_error' | 'dialog' | 'download' | 'crash';
  level: 'error' | 'warning' | 'info';
  text: string;
  url?: string;
  status?: number;
  at: string;
}

const MAX_EVENTS = 500;
const MAX_TEXT = 500;
/** After an action, how long the page may keep loading before its diff is taken anyway. */
const SETTLE_MAX_MS = 2_000;
const QUIET_MS = 80;

/**
 * A live browser of one container: Chromium inside the container's sandbox, driven by playwright-core
 * through a DevTools bridge. Keeps what went wrong (bounded, with a cursor) and the last snapshot's lines
 * for diffs. Calls on one session run one at a time (`run`).
 */
/** A screenshot kept for its URL, with the page it showed. */
export interface KeptShot {
  mimeType: string;
  width: number;
  height: number;
  scale: number;
  data: Buffer;
  page?: { url: string; title: string };
}

export class BrowserSession {
  readonly events: BrowserEvent[] = [];
  private seq = 0;
  /** Lines of the last snapshot returned, the base of the next diff. */
  lastLines: string[] = [];
  /** Screenshot pixels per CSS pixel of the last viewport screenshot (computer_action maps back by it). */
  scale = 1;
  lastUsed = Date.now();
  dead = false;
  /** The newest screenshots by id, served again to their owner by URL (MCP results link to them). */
  readonly shots = new Map<string, KeptShot>();
  private inflight = 0;
  private quietSince = performance.now();
  private queue: Promise<unknown> = Promise.resolve();
  page: Page;

  constructor(
    readonly containerId: string,
    readonly name: string,
    readonly startedAt: number,
    private readonly child: RunningChild,
    private readonly bridge: DevtoolsBridge,
    readonly browser: Browser,
    readonly context: BrowserContext,
    page: Page,
  ) {
    this.page = page;
    this.watch(page);
    context.on('page', (p) => {
      // A popup or target=_blank: the session follows the newest page.
      this.page = p;
      this.watch(p);
    });
    browser.on('disconnected', () => this.end());
    child.onExit(() => this.end());
  }

  /** Runs `fn` after the session's earlier calls (one page, one actor at a time), on a live page. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    this.lastUsed = Date.now();
    const go = async () => {
      await this.livePage();
      return fn();
    };
    const next = this.queue.then(go, go);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private cdpOf: { page: Page; session: Promise<CDPSession> } | undefined;

  /** A DevTools session on the current page, made once per page (screenshots go through it). */
  cdp(): Promise<CDPSession> {
    if (this.cdpOf?.page !== this.page) {
      const session = this.context.newCDPSession(this.page);
      session.catch(() => {});
      this.cdpOf = { page: this.page, session };
    }
    return this.cdpOf.session;
  }

  /** Keeps a screenshot for its URL (the newest 8 per session); returns its id. */
  keep(shot: KeptShot): string {
    const id = randomBytes(9).toString('base64url');
    this.shots.set(id, shot);
    for (const old of this.shots.keys()) {
      if (this.shots.size <= 8) break;
      this.shots.delete(old);
    }
    return id;
  }

  /** A page that crashed or was closed (by the page itself) is replaced by a fresh one. */
  private async livePage(): Promise<void> {
    if (!this.crashed && !this.page.isClosed()) return;
    this.crashed = false;
    const old = this.page;
    this.page = await this.context.newPage();
    this.lastLines = [];
    if (this.context.pages().includes(old)) await old.close().catch(() => {});
  }

  private crashed = false;

  private record(e: Omit<BrowserEvent, 'seq' | 'at'>): void {
    this.events.push({ ...e, text: e.text.slice(0, MAX_TEXT), seq: ++this.seq, at: new Date().toISOString() });
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
  }

  /** The newest event's cursor (0 before any). */
  get cursor(): number {
    return this.seq;
  }

  since(cursor: number, kinds: readonly BrowserEvent['kind'][], limit: number): BrowserEvent[] {
    return this.events.filter((e) => e.seq > cursor && kinds.includes(e.kind)).slice(-limit);
  }

  private watch(page: Page): void {
    // A headless window's inner size is smaller than the window: the viewport is set, the same for every page.
    page.setViewportSize(VIEWPORT).catch(() => {});
    page.on('console', (m) => {
      const type = m.type();
      if (type !== 'error' && type !== 'warning') return;
      this.record({
        kind: 'console',
        level: type === 'error' ? 'error' : 'warning',
        text: m.text(),
        ...(m.location().url ? { url: m.location().url } : {}),
      });
    });
    page.on('pageerror', (err) => this.record({ kind: 'pageerror', level: 'error', text: String(err.message) }));
    page.on('request', () => {
      this.inflight++;
    });
    const done = () => {
      this.inflight = Math.max(0, this.inflight - 1);
      if (this.inflight === 0) this.quietSince = performance.now();
    };
    page.on('requestfinished', done);
    page.on('requestfailed', (r) => {
      done();
      this.record({
        kind: 'request_failed',
        level: 'error',
        text: `${r.method()} ${r.failure()?.errorText ?? 'failed'}`,
        url: r.url(),
      });
    });
    page.on('response', (r) => {
      if (r.status() >= 400)
        this.record({
          kind: 'http_error',
          level: 'error',
          text: `${r.status()} ${r.statusText()}`,
          url: r.url(),
          status: r.status(),
        });
    });
    page.on('dialog', (d) => {
      // A blocking dialog would hang every later call: it is dismissed and reported.
      this.record({ kind: 'dialog', level: 'info', text: `${d.type()}: ${d.message()} (dismissed)` });
      d.dismiss().catch(() => {});
    });
    page.on('download', (d) => {
      this.record({
        kind: 'download',
        level: 'info',
        text: `download refused: ${d.suggestedFilename()}`,
        url: d.url(),
      });
      d.cancel().catch(() => {});
    });
    page.on('crash', () => {
      if (page === this.page) this.crashed = true;
      this.record({ kind: 'crash', level: 'error', text: 'the page crashed; the next call opens a fresh tab' });
    });
  }

  /** Waits until the page has loaded and no request ran for a moment (bounded: a busy page is diffed anyway). */
  async settle(): Promise<void> {
    const deadline = performance.now() + SETTLE_MAX_MS;
    await this.page.waitForLoadState('domcontentloaded', { timeout: SETTLE_MAX_MS }).catch(() => {});
    while (performance.now() < deadline) {
      if (this.inflight === 0 && performance.now() - this.quietSince >= QUIET_MS) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The page's AI-mode snapshot, compacted into lines (refs stay valid until the next one). */
  async lines(): Promise<string[]> {
    return compact(await this.page.ariaSnapshot({ mode: 'ai', timeout: 5_000 }));
  }

  /** A fresh snapshot, returned as the diff against the previous one; it becomes the new base. */
  async diff(): Promise<{ lines: string[]; diff: string[] }> {
    const lines = await this.lines();
    const diff = diffLines(this.lastLines, lines);
    this.lastLines = lines;
    return { lines, diff };
  }

  private end(): void {
    if (this.dead) return;
    this.dead = true;
    this.bridge.close();
  }

  /** Closes the browser: Chromium exits on its own (writing its cookies to the profile), or is killed. */
  async close(): Promise<void> {
    if (!this.dead) {
      try {
        const cdp = await this.browser.newBrowserCDPSession();
        await Promise.race([cdp.send('Browser.close'), new Promise((r) => setTimeout(r, 3_000))]);
      } catch {
        // already gone
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5_000);
        this.child.onExit(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.child.killGroup('SIGKILL');
    this.end();
  }
}

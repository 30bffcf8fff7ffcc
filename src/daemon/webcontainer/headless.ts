import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM_BINARIES } from '../browser/launch.js';
import type { Logger } from '../log.js';

/** Debian's Chromium, when installed (never a downloaded one). */
export function findChromium(): string | undefined {
  return CHROMIUM_BINARIES.find((b) => existsSync(b));
}

/**
 * Workbench pages the daemon opens itself, in one headless Chromium of its own, so a webcontainer
 * container can run commands with no tab open. The page is the same one a user opens, and runs nothing on
 * this host but the browser: the WebContainer runtime (or, in tests, the stand-in) runs inside the page.
 * Chromium's own sandbox is on unless the daemon runs as root (where Chromium refuses it).
 */
export class HeadlessPages {
  private browser: Promise<Browser> | undefined;
  private readonly pages = new Map<string, Promise<Page>>();
  /** Told when a page of a container cannot load a frame of another origin (the runtime's). */
  onFailure: ((containerId: string, message: string) => void) | undefined;

  constructor(
    private readonly binary: string,
    private readonly log: Logger,
  ) {}

  private launch(): Promise<Browser> {
    this.browser ??= import('playwright-core').then(({ chromium }) =>
      chromium.launch({
        executablePath: this.binary,
        headless: true,
        chromiumSandbox: process.getuid?.() !== 0,
        args: ['--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--no-first-run'],
      }),
    );
    this.browser.catch(() => {
      this.browser = undefined;
    });
    return this.browser;
  }

  /** Opens the container's page at `url` (which carries a fresh attach token) unless it is open. */
  async open(containerId: string, url: string): Promise<void> {
    const open = this.pages.get(containerId);
    if (open && !(await open).isClosed()) return;
    const page = this.launch().then(async (browser) => {
      const p = await browser.newPage();
      const own = new URL(url).origin;
      // The runtime's frame (WebContainer.boot) failing to load is otherwise silent: boot waits for ever.
      p.on('requestfailed', (req) => {
        if (!req.isNavigationRequest() || new URL(req.url()).origin === own) return;
        const where = req.url().split('?')[0];
        this.onFailure?.(
          containerId,
          `the daemon's headless browser cannot load ${where} (${req.failure()?.errorText ?? 'failed'}): is it reachable from this host?`,
        );
      });
      p.on('close', () => {
        if (this.pages.get(containerId) === page) this.pages.delete(containerId);
      });
      await p.goto(url);
      return p;
    });
    this.pages.set(containerId, page);
    page.catch((err) => {
      this.pages.delete(containerId);
      this.log.warn({ err: String(err).slice(0, 300), containerId }, 'cannot open a headless workbench page');
    });
    await page;
  }

  /** Whether the daemon has its own page open (or opening) for the container. */
  has(containerId: string): boolean {
    return this.pages.has(containerId);
  }

  async close(containerId: string): Promise<void> {
    const page = this.pages.get(containerId);
    this.pages.delete(containerId);
    await page?.then((p) => p.close()).catch(() => {});
  }

  async shutdown(): Promise<void> {
    const b = this.browser;
    this.browser = undefined;
    this.pages.clear();
    await b?.then((x) => x.close()).catch(() => {});
  }
}

/** The daemon's headless pages when DISCO_WEBCONTAINER_HEADLESS allows them (`auto`: when Chromium is installed). */
export function headlessPages(
  config: { webcontainerHeadless: 'auto' | 'true' | 'false' | '1' | '0' },
  log: Logger,
): HeadlessPages | undefined {
  const mode = config.webcontainerHeadless;
  if (mode === 'false' || mode === '0') return undefined;
  const binary = findChromium();
  if (!binary) {
    if (mode !== 'auto') log.warn('DISCO_WEBCONTAINER_HEADLESS is on but no Debian Chromium is installed');
    return undefined;
  }
  return new HeadlessPages(binary, log);
}

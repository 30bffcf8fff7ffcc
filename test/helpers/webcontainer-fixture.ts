import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { RuntimeFixture } from '../runtimes/cases.js';
import { startTestDaemon, type TestDaemon } from './daemon.js';
import { requireSystem } from './system.js';

export const CHROMIUM = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((b) => existsSync(b));

/** Workbench tests need Debian's Chromium (skipped locally without it, a failure under CI). */
export const workbenchTestsEnabled = (): boolean => requireSystem('chromium', CHROMIUM !== undefined);

/** The daemon's settings for workbench tests: the in-page stand-in (test only), no headless page unless asked. */
export const STANDIN_ENV = {
  NODE_ENV: 'test',
  DISCO_WEBCONTAINER_STANDIN: '1',
  DISCO_WEBCONTAINER_HEADLESS: 'false',
};

export interface WorkbenchStand {
  d: TestDaemon;
  browser: Browser;
  /** Creates a webcontainer container; returns its id. */
  create(name: string): Promise<string>;
  /** Opens its workbench page (a fresh attach link) in a new tab and waits until it is attached and mounted. */
  attach(container: string): Promise<Page>;
  close(): Promise<void>;
}

export async function workbenchStand(env: Record<string, string> = {}): Promise<WorkbenchStand> {
  const d = await startTestDaemon({ ...STANDIN_ENV, ...env });
  const browser = await chromium.launch({
    executablePath: CHROMIUM as string,
    headless: true,
    args: ['--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
  return {
    d,
    browser,
    create: async (name) => {
      const r = await d.json('POST', '/api/v1/containers', { name, runtime: 'webcontainer' });
      if (r.status !== 201) throw new Error(`create: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.id as string;
    },
    attach: async (container) => {
      const r = await d.json('POST', `/api/v1/containers/${container}/workbench`, {});
      if (r.status !== 200) throw new Error(`workbench_open: ${r.status} ${JSON.stringify(r.body)}`);
      const page = await browser.newPage();
      await page.goto(r.body.url);
      await page.waitForSelector('body[data-ready]', { timeout: 20_000 });
      return page;
    },
    close: async () => {
      await browser.close();
      await d.stop();
    },
  };
}

/** A RuntimeFixture over the stand-in, each container with its own attached tab. */
export async function webcontainerFixture(): Promise<RuntimeFixture> {
  const stand = await workbenchStand();
  return {
    name: 'webcontainer',
    baseUrl: stand.d.url,
    token: stand.d.token,
    createContainer: async (name) => {
      const id = await stand.create(name);
      await stand.attach(id);
      return id;
    },
    close: () => stand.close(),
  };
}

/** Polls `f` every 100 ms until it gives a value, or fails naming `what` after `ms`. */
export async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

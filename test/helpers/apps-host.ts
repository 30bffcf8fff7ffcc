import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { build } from 'esbuild';
import { type Browser, chromium, type FrameLocator, type Page } from 'playwright-core';
import { requireSystem } from './system.js';

export const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];
const ROOT = path.resolve(import.meta.dirname, '../..');

/** Whether the view tests run: Debian's chromium is needed (never a downloaded browser); under CI it must be there. */
export const hasChromium = () => requireSystem('chromium (/usr/bin/chromium)', existsSync(CHROMIUM));

export interface AppsHost {
  page: Page;
  /** The view's document. */
  view: FrameLocator;
  /** Every tool call the view made through the bridge, in order. */
  calls: { name: string; args: Record<string, unknown> }[];
  /** Links the view asked the host to open. */
  links: string[];
  /** Requests the page made to any network (must stay empty: views are self-contained). */
  requests: string[];
  /** Shows `view` for a tool call: its input, then its result (null: not yet, see sendResult). */
  mount: (
    view: string,
    toolName: string,
    toolInput: Record<string, unknown>,
    result: CallToolResult | null,
  ) => Promise<void>;
  sendResult: (result: CallToolResult) => Promise<void>;
  close: () => Promise<void>;
}

let hostScript: Promise<string> | undefined;
const bundleHost = () => {
  hostScript ??= build({
    entryPoints: [path.join(ROOT, 'test/apps/browser/host.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'warning',
  }).then((r) => r.outputFiles[0]?.text ?? '');
  return hostScript;
};

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}

/**
 * One host page (the ext-apps AppBridge, see test/apps/browser/host.ts) whose view calls tools through
 * `client`, a real MCP SDK client on a real daemon.
 */
export async function appsHost(browser: Browser, client: Client, theme: 'light' | 'dark' = 'light'): Promise<AppsHost> {
  const page = await browser.newPage();
  const calls: AppsHost['calls'] = [];
  const links: string[] = [];
  const requests: string[] = [];
  page.on('request', (r) => {
    if (/^(https?|wss?|ftp):/.test(r.url())) requests.push(r.url());
  });
  await page.exposeFunction('hostCallTool', async (name: string, args: Record<string, unknown>) => {
    calls.push({ name, args });
    return client.callTool({ name, arguments: args });
  });
  await page.exposeFunction('hostOpenLink', async (url: string) => {
    links.push(url);
  });
  await page.setContent('<!doctype html><html><head></head><body></body></html>');
  await page.addScriptTag({ content: await bundleHost() });
  return {
    page,
    view: page.frameLocator('iframe'),
    calls,
    links,
    requests,
    mount: async (view, toolName, toolInput, toolResult) => {
      // The view as the daemon serves it to a UI-capable client.
      const { contents } = await client.readResource({ uri: `ui://disco/${view}.html` });
      const html = String((contents[0] as { text?: string }).text);
      await page.evaluate((m) => (globalThis as unknown as HostPage).mountView(m), {
        html,
        toolName,
        toolInput,
        toolResult,
        theme,
      });
    },
    sendResult: (result) => page.evaluate((r) => (globalThis as unknown as HostPage).sendResult(r), result),
    close: () => page.close(),
  };
}

interface HostPage {
  mountView: (m: unknown) => Promise<void>;
  sendResult: (r: unknown) => Promise<void>;
}

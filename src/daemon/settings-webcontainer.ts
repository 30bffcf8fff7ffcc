import { z } from 'zod';
import { csv, intIn } from './settings-schema.js';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** The settings of the webcontainer runtime (part of SETTINGS); see docs/webcontainer.md. */
export const WEBCONTAINER_SETTINGS = {
  webcontainerApiKey: {
    env: 'DISCO_WEBCONTAINER_API_KEY',
    schema: z.string().min(1).max(4096),
    doc: "StackBlitz WebContainer API licence key, given to the workbench page (`configureAPIKey`) before it boots. Needed for commercial production use. Secret: never logged. Default: none (StackBlitz's free terms).",
  },
  webcontainerRuntimeOrigin: {
    env: 'DISCO_WEBCONTAINER_RUNTIME_ORIGIN',
    default: 'https://stackblitz.com',
    schema: z
      .url({ protocol: /^https?$/ })
      .transform((u) => new URL(u).origin)
      .refine((o) => o.startsWith('https://') || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(o), {
        message: 'must be an https origin (http only on loopback)',
      }),
    doc: "Where the workbench page loads the WebContainer runtime from (the API's hidden `/headless` frame): StackBlitz's origin, or a StackBlitz Enterprise one. A page that cannot reach it says so (its commands answer `unavailable` naming this URL) instead of waiting. Default `https://stackblitz.com`.",
  },
  webcontainerSyncExclude: {
    env: 'DISCO_WEBCONTAINER_SYNC_EXCLUDE',
    default: ['node_modules'],
    schema: csv.pipe(z.array(z.string().regex(/^[^/\\]+$/, 'each entry must be one path component'))),
    doc: 'Comma-separated path components (directories or files) never synced between the daemon and a workbench page, in either direction. Default `node_modules` (the page installs its own).',
  },
  webcontainerHeadless: {
    env: 'DISCO_WEBCONTAINER_HEADLESS',
    default: 'auto',
    schema: z.enum(['auto', 'true', 'false', '1', '0']),
    doc: "Whether the daemon opens a webcontainer container's workbench page itself, in a headless Debian Chromium, when a command needs it and no page is attached: `auto` (default: when Chromium is installed), `true`, `false` (commands answer `unavailable` with the URL to open).",
  },
  webcontainerAttachTtlSeconds: {
    env: 'DISCO_WEBCONTAINER_ATTACH_TTL_SECONDS',
    default: 300,
    schema: intIn(10, 86_400),
    doc: 'Lifetime of a workbench attach link (`disco open`): a page must connect with it within this time. Default 300.',
  },
  webcontainerStandin: {
    env: 'DISCO_WEBCONTAINER_STANDIN',
    default: false,
    schema: bool,
    doc: 'Test only: the workbench page uses an in-page stand-in of `@webcontainer/api` instead of booting the real one. Default `false`; refused (the daemon does not start) unless `NODE_ENV=test`.',
  },
} as const;

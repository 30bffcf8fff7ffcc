import { z } from 'zod';
import { ACTION, ActionResultSchema, budget, EventSummarySchema, READ, ref, target } from './browser-common.js';
import { defineContract } from './contract.js';

export const browserNavigate = defineContract({
  name: 'browser_navigate',
  target: 'container',
  area: 'computer-use',
  changesWorkspace: false,
  title: 'Open a page in the browser',
  description:
    "Use to open a page in the container's browser (Chromium inside its sandbox: it reaches the " +
    "container's own servers and the internet under its egress policy, never the host). url: a port " +
    "('3000'), 'localhost:3000/path' or an http(s) URL; or go: back|forward|reload. Returns the " +
    'snapshot diff (refs to act on) and page errors.',
  method: 'POST',
  path: '/computer-use/:container/navigate',
  input: z.object({
    ...target,
    url: z.string().min(1).max(8192).optional(),
    go: z.enum(['back', 'forward', 'reload']).optional(),
    timeoutMs: z.number().int().min(100).max(60_000).default(15_000),
  }),
  output: ActionResultSchema,
  annotations: ACTION,
  scope: 'exec',
  audit: true,
});

export const browserSnapshot = defineContract({
  name: 'browser_snapshot',
  target: 'container',
  area: 'computer-use',
  changesWorkspace: false,
  title: 'Read the page',
  description:
    'Use to read the page: its accessibility tree as short lines with a ref per element, within ' +
    "budget tokens. mode 'diff': only what changed since the last call; 'find': only elements " +
    'matching find. Prefer it to screenshots.',
  method: 'GET',
  path: '/computer-use/:container/snapshot',
  input: z.object({
    ...target,
    mode: z.enum(['full', 'diff', 'find']).default('full'),
    find: z.string().min(1).max(200).optional(),
    budget,
    since: z.number().int().min(0).optional().describe('Event cursor: summarise only errors after it.'),
  }),
  output: z.object({
    url: z.string(),
    title: z.string(),
    mode: z.string(),
    snapshot: z.string(),
    tokens: z.number().int(),
    omitted: z.number().int().describe('Lines left out to stay within budget.'),
    events: EventSummarySchema,
  }),
  annotations: READ,
  scope: 'exec',
});

export const ShotSchema = z.object({
  mimeType: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  scale: z.number(),
  url: z.string().describe('Serves this image again to its owner (with a token), while the session lives.'),
  data: z.string().optional().describe('Base64 of the image (REST with encoding=json; MCP sends image content).'),
  page: z.object({ url: z.string(), title: z.string() }).optional().describe('The page the screenshot shows.'),
});

export const browserScreenshot = defineContract({
  name: 'browser_screenshot',
  target: 'container',
  area: 'computer-use',
  changesWorkspace: false,
  title: 'Screenshot the page',
  description:
    'Use for visual checks and canvas: a PNG (or JPEG) of the viewport, full page or one element ' +
    '(ref), long edge at most 1568 px; scale maps its pixels to the page for computer_action. For ' +
    'reading text use browser_snapshot.',
  method: 'GET',
  path: '/computer-use/:container/screenshot',
  input: z.object({
    ...target,
    fullPage: z.boolean().default(false),
    ref: ref.optional(),
    format: z.enum(['png', 'jpeg']).default('png'),
    quality: z.number().int().min(1).max(100).optional(),
    encoding: z.enum(['binary', 'json']).default('binary').describe('REST only: json returns base64 in `data`.'),
  }),
  output: ShotSchema,
  annotations: READ,
  scope: 'exec',
  view: 'screenshot',
});

export const browserScreenshotGet = defineContract({
  name: 'browser_screenshot_get',
  target: 'container',
  area: 'computer-use',
  changesWorkspace: false,
  title: 'Get a screenshot again',
  description:
    'Use to fetch a recent screenshot again by the url a browser_screenshot result gave (its owner ' + 'only).',
  method: 'GET',
  path: '/computer-use/:container/screenshots/:shot',
  input: z.object({
    ...target,
    shot: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/),
    encoding: z.enum(['binary', 'json']).default('binary'),
  }),
  output: ShotSchema,
  annotations: READ,
  scope: 'exec',
  view: 'screenshot',
});

export const EventSchema = z.object({
  seq: z.number().int(),
  kind: z.string(),
  level: z.string(),
  text: z.string(),
  url: z.string().optional(),
  status: z.number().int().optional(),
  at: z.string(),
});

export const eventsInput = z.object({
  ...target,
  since: z.number().int().min(0).default(0).describe('Only events after this cursor (from an earlier result).'),
  limit: z.number().int().min(1).max(200).default(50),
});

export const EventsOutput = z.object({ cursor: z.number().int(), events: z.array(EventSchema) });

export const browserConsole = defineContract({
  name: 'browser_console',
  target: 'container',
  area: 'computer-use',
  changesWorkspace: false,
  title: 'Page errors',
  description:
    'Use to see what went wrong in the page: console errors and warnings, uncaught exceptions, ' +
    'dialogs and crashes since a cursor (bounded).',
  method: 'GET',
  path: '/computer-use/:container/console',
  input: eventsInput,
  output: EventsOutput,
  annotations: READ,
  scope: 'exec',
});

export const browserNetwork = defineContract({
  name: 'browser_network',
  target: 'container',
  area: 'computer-use',
  changesWorkspace: false,
  title: 'Failed requests',
  description:
    'Use to see failed requests of the page (errors, 4xx/5xx) and refused downloads since a cursor ' + '(bounded).',
  method: 'GET',
  path: '/computer-use/:container/network',
  input: eventsInput,
  output: EventsOutput,
  annotations: READ,
  scope: 'exec',
});

export const browserClose = defineContract({
  name: 'browser_close',
  target: 'container',
  area: 'computer-use',
  changesWorkspace: false,
  title: 'Close the browser',
  description:
    'Use to close a browser session of the container; its profile (cookies, storage) is kept for the ' + 'next one.',
  method: 'DELETE',
  path: '/computer-use/:container/sessions/:session',
  input: z.object(target),
  output: z.object({ closed: z.boolean() }),
  // Its open pages (and unsaved form state) are gone; the profile is kept.
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  scope: 'exec',
  audit: true,
});

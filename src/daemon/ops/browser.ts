import { z } from 'zod';
import { act, checkUrl, snapshot, targetUrl } from '../browser/actions.js';
import { screenshot } from '../browser/screenshot.js';
import type { BrowserEvent } from '../browser/session.js';
import { NotFoundError, ValidationError } from '../errors.js';
import {
  ACTION,
  ActionResultSchema,
  budget,
  EventSummarySchema,
  READ,
  ref,
  sessionOf,
  target,
} from './browser-common.js';
import { assertOnHost, openContainer } from './container-scope.js';
import { defineOp, type OpContext } from './op.js';

export const browserNavigate = defineOp({
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
  run: async (input, ctx) => {
    const s = await sessionOf(ctx, input);
    const url = input.url !== undefined ? targetUrl(input.url) : undefined;
    if (!url && !input.go) throw new ValidationError('give url, or go: back | forward | reload');
    const timeout = input.timeoutMs;
    return act(s, undefined, async () => {
      if (url) await s.page.goto(checkUrl(url), { timeout, waitUntil: 'load' });
      else if (input.go === 'back') await s.page.goBack({ timeout });
      else if (input.go === 'forward') await s.page.goForward({ timeout });
      else await s.page.reload({ timeout });
    });
  },
});

export const browserSnapshot = defineOp({
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
  run: async (input, ctx) =>
    snapshot(await sessionOf(ctx, input), {
      mode: input.mode,
      budget: input.budget,
      find: input.find,
      since: input.since,
    }),
});

const ShotSchema = z.object({
  mimeType: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  scale: z.number(),
  url: z.string().describe('Serves this image again to its owner (with a token), while the session lives.'),
  data: z.string().optional().describe('Base64 of the image (REST with encoding=json; MCP sends image content).'),
  page: z.object({ url: z.string(), title: z.string() }).optional().describe('The page the screenshot shows.'),
});

/** A screenshot result's image (its base64 `data`), for REST's image response and MCP's image content. */
function shotBinary(out: unknown) {
  const o = out as { mimeType: string; data?: string };
  if (!o.data) return undefined;
  const { data, ...rest } = o;
  return { mimeType: o.mimeType, base64: data, rest };
}

export const browserScreenshot = defineOp({
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
  binary: shotBinary,
  run: async (input, ctx) => {
    const s = await sessionOf(ctx, input);
    const shot = await s.run(() =>
      screenshot(s, {
        fullPage: input.fullPage,
        format: input.format,
        quality: input.quality,
        ...(input.ref ? { element: () => s.page.getByRef(input.ref as string).boundingBox({ timeout: 3_000 }) } : {}),
      }),
    );
    const page = { url: s.page.url(), title: await s.page.title().catch(() => '') };
    const id = s.keep({ ...shot, page });
    return {
      mimeType: shot.mimeType,
      width: shot.width,
      height: shot.height,
      scale: shot.scale,
      url: shotUrl(ctx.baseUrl, input.container, input.session, id),
      data: shot.data.toString('base64'),
      page,
    };
  },
});

const shotUrl = (base: string, container: string, session: string, id: string) =>
  `${base}/api/v1/computer-use/${encodeURIComponent(container)}/screenshots/${id}?session=${session}`;

export const browserScreenshotGet = defineOp({
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
  binary: shotBinary,
  run: async (input, ctx) => {
    const c = await openContainer(ctx, input.container);
    assertOnHost(c, 'computer use (a browser in the container)');
    const shot = ctx.services.browsers?.get(c.id, input.session).shots.get(input.shot);
    if (!shot) throw new NotFoundError('screenshot', { shot: input.shot });
    return {
      mimeType: shot.mimeType,
      width: shot.width,
      height: shot.height,
      scale: shot.scale,
      url: shotUrl(ctx.baseUrl, input.container, input.session, input.shot),
      data: shot.data.toString('base64'),
      ...(shot.page ? { page: shot.page } : {}),
    };
  },
});

const EventSchema = z.object({
  seq: z.number().int(),
  kind: z.string(),
  level: z.string(),
  text: z.string(),
  url: z.string().optional(),
  status: z.number().int().optional(),
  at: z.string(),
});

const eventsInput = z.object({
  ...target,
  since: z.number().int().min(0).default(0).describe('Only events after this cursor (from an earlier result).'),
  limit: z.number().int().min(1).max(200).default(50),
});
const EventsOutput = z.object({ cursor: z.number().int(), events: z.array(EventSchema) });

/** The session's events of these kinds after the caller's cursor, with the cursor to pass next. */
async function eventsOf(ctx: OpContext, input: z.output<typeof eventsInput>, kinds: BrowserEvent['kind'][]) {
  const s = await sessionOf(ctx, input);
  return { cursor: s.cursor, events: s.since(input.since, kinds, input.limit) };
}

export const browserConsole = defineOp({
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
  run: (input, ctx) => eventsOf(ctx, input, ['console', 'pageerror', 'dialog', 'crash']),
});

export const browserNetwork = defineOp({
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
  run: (input, ctx) => eventsOf(ctx, input, ['request_failed', 'http_error', 'download']),
});

export const browserClose = defineOp({
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
  run: async (input, ctx) => {
    const c = await openContainer(ctx, input.container);
    assertOnHost(c, 'computer use (a browser in the container)');
    return { closed: (await ctx.services.browsers?.close(c.id, input.session)) ?? false };
  },
});

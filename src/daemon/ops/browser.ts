import type { z } from 'zod';
import type { eventsInput } from '../../contracts/browser.js';
import * as contract from '../../contracts/browser.js';
import { act, checkUrl, snapshot, targetUrl } from '../browser/actions.js';
import { screenshot } from '../browser/screenshot.js';
import type { BrowserEvent } from '../browser/session.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { sessionOf } from './browser-common.js';
import { assertOnHost, openContainer } from './container-scope.js';
import { implement, type OpContext } from './op.js';

export const browserNavigate = implement(contract.browserNavigate, {
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

export const browserSnapshot = implement(contract.browserSnapshot, {
  run: async (input, ctx) =>
    snapshot(await sessionOf(ctx, input), {
      mode: input.mode,
      budget: input.budget,
      find: input.find,
      since: input.since,
    }),
});

/** A screenshot result's image (its base64 `data`), for REST's image response and MCP's image content. */
function shotBinary(out: unknown) {
  const o = out as { mimeType: string; data?: string };
  if (!o.data) return undefined;
  const { data, ...rest } = o;
  return { mimeType: o.mimeType, base64: data, rest };
}

export const browserScreenshot = implement(contract.browserScreenshot, {
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

export const browserScreenshotGet = implement(contract.browserScreenshotGet, {
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

/** The session's events of these kinds after the caller's cursor, with the cursor to pass next. */
async function eventsOf(ctx: OpContext, input: z.output<typeof eventsInput>, kinds: BrowserEvent['kind'][]) {
  const s = await sessionOf(ctx, input);
  return { cursor: s.cursor, events: s.since(input.since, kinds, input.limit) };
}

export const browserConsole = implement(contract.browserConsole, {
  run: (input, ctx) => eventsOf(ctx, input, ['console', 'pageerror', 'dialog', 'crash']),
});

export const browserNetwork = implement(contract.browserNetwork, {
  run: (input, ctx) => eventsOf(ctx, input, ['request_failed', 'http_error', 'download']),
});

export const browserClose = implement(contract.browserClose, {
  run: async (input, ctx) => {
    const c = await openContainer(ctx, input.container);
    assertOnHost(c, 'computer use (a browser in the container)');
    return { closed: (await ctx.services.browsers?.close(c.id, input.session)) ?? false };
  },
});

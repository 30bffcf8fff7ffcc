import type { Page } from 'playwright-core';
import { ValidationError } from '../errors.js';
import { browserError } from './actions.js';
import { VIEWPORT } from './launch.js';
import type { BrowserSession } from './session.js';

/** Longest edge of a screenshot, the size computer-use models are trained on. */
export const MAX_EDGE = 1568;

export interface Shot {
  data: Buffer;
  mimeType: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
  /** Screenshot pixels per CSS pixel: a point (x, y) of the image is (x / scale, y / scale) in the page. */
  scale: number;
}

interface Area {
  x: number;
  y: number;
  width: number;
  height: number;
}

interface Metrics {
  sx: number;
  sy: number;
  w: number;
  h: number;
  fw: number;
  fh: number;
}

/** Scroll position, viewport and document size, evaluated in the page (a string: the daemon has no DOM types). */
const METRICS =
  '({ sx: scrollX, sy: scrollY, w: innerWidth, h: innerHeight, ' +
  'fw: Math.max(document.documentElement.scrollWidth, innerWidth), ' +
  'fh: Math.max(document.documentElement.scrollHeight, innerHeight) })';

const metrics = (page: Page): Promise<Metrics> => page.evaluate<Metrics>(METRICS);

/**
 * A screenshot of the viewport, the full page or one element (`locate`), scaled so its long edge is at
 * most MAX_EDGE, through DevTools' captureScreenshot (one call, scaled by the browser).
 */
export async function screenshot(
  s: BrowserSession,
  opts: {
    fullPage?: boolean;
    element?: () => Promise<Area | null>;
    format: 'png' | 'jpeg';
    quality?: number | undefined;
  },
): Promise<Shot> {
  try {
    let area: Area | undefined;
    let beyond = false;
    if (opts.element) {
      const box = await opts.element();
      if (!box) throw new ValidationError('the element has no box (hidden or detached)');
      const m = await metrics(s.page);
      area = { ...box, x: box.x + m.sx, y: box.y + m.sy };
      beyond = true;
    } else if (opts.fullPage) {
      const m = await metrics(s.page);
      area = { x: 0, y: 0, width: m.fw, height: m.fh };
      beyond = true;
    }
    // The viewport (set by the session) at scale 1 needs no clip and no round trip to measure it.
    const viewport = s.page.viewportSize() ?? VIEWPORT;
    const plain = !area && Math.max(viewport.width, viewport.height) <= MAX_EDGE;
    if (!area) {
      const m = plain ? undefined : await metrics(s.page);
      area = { x: m?.sx ?? 0, y: m?.sy ?? 0, width: m?.w ?? viewport.width, height: m?.h ?? viewport.height };
    }
    const scale = Math.min(1, MAX_EDGE / Math.max(area.width, area.height));
    const cdp = await s.cdp();
    {
      const r = (await cdp.send('Page.captureScreenshot', {
        format: opts.format,
        ...(opts.format === 'jpeg' ? { quality: opts.quality ?? 80 } : {}),
        ...(plain ? {} : { clip: { ...area, scale } }),
        captureBeyondViewport: beyond,
        fromSurface: true,
      })) as { data: string };
      const shot: Shot = {
        data: Buffer.from(r.data, 'base64'),
        mimeType: opts.format === 'png' ? 'image/png' : 'image/jpeg',
        width: Math.round(area.width * scale),
        height: Math.round(area.height * scale),
        scale,
      };
      if (!opts.element && !opts.fullPage) s.scale = scale;
      return shot;
    }
  } catch (err) {
    throw browserError(err);
  }
}

import type { Locator } from 'playwright-core';
import { DiscoError, ValidationError } from '../errors.js';
import type { BrowserEvent, BrowserSession } from './session.js';
import { approxTokens, DEFAULT_BUDGET, findLines, withinBudget } from './snapshot.js';

/** Security and sanity: only web pages (file:, chrome:, javascript:, data: … are refused). */
export function checkUrl(raw: string): string {
  let u: URL;
  try {
    // `localhost:3000/x` is a host and port, not a scheme `localhost:`.
    const scheme = /^[a-z][a-z0-9+.-]*:/i.test(raw) && !/^[a-z0-9.-]+:\d+(\/|$)/i.test(raw);
    u = new URL(scheme ? raw : `http://${raw}`);
  } catch {
    throw new ValidationError(`not a URL: ${raw.slice(0, 200)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new ValidationError(`only http and https URLs can be opened, not ${u.protocol}`, { scheme: u.protocol });
  }
  return u.href;
}

/** `localhost:3000`, `3000` or a full URL; a bare port is the container's own. */
export function targetUrl(input: string): string {
  return /^\d{1,5}$/.test(input) ? `http://localhost:${input}/` : checkUrl(input);
}

/** Maps a Playwright failure to a typed error (never its stack, never a hang). */
export function browserError(err: unknown, ref?: string): DiscoError {
  if (err instanceof DiscoError) return err;
  const msg = String((err as Error)?.message ?? err);
  const first = msg.split('\n')[0]?.slice(0, 300) ?? '';
  if (/Target page, context or browser has been closed|Target closed|crash/i.test(msg))
    return new DiscoError('unavailable', 'the page or browser closed or crashed; call again to restart it');
  if (ref && /intercepts pointer events|not visible|not enabled|not editable|outside of the viewport/i.test(msg))
    return new DiscoError('not_actionable', `element ${ref} cannot be acted on now (covered, hidden or disabled)`, {
      ref,
    });
  if (ref && /Timeout|waiting for|resolved to 0|No element|not found|aria-ref|ref/i.test(msg))
    return new DiscoError('stale_ref', `no element ${ref} in the page now: take a new snapshot and use its refs`, {
      ref,
    });
  if (/net::ERR_|NS_ERROR/.test(msg)) {
    const code = /net::ERR_[A-Z_]+/.exec(msg)?.[0] ?? 'network error';
    return new DiscoError('unavailable', `the page cannot be loaded (${code})`, { error: code });
  }
  if (/Timeout \d+ms exceeded|timeout/i.test(msg)) return new DiscoError('timeout', first || 'timed out');
  return new DiscoError('unavailable', `browser: ${first}`);
}

/** The element of a ref from the last snapshot (refs look like `e12`). */
export function byRef(s: BrowserSession, ref: string): Locator {
  if (!/^(f\d+)?e\d+$/.test(ref)) throw new ValidationError(`not a ref: ${ref.slice(0, 40)} (refs look like e12)`);
  return s.page.getByRef(ref);
}

export interface EventSummary {
  cursor: number;
  errors: number;
  recent: { kind: BrowserEvent['kind']; text: string; url?: string }[];
}

/** What went wrong since `cursor`, in a few lines (every action's result carries it). */
export function summary(s: BrowserSession, cursor: number): EventSummary {
  const all = s.since(
    cursor,
    ['console', 'pageerror', 'request_failed', 'http_error', 'dialog', 'download', 'crash'],
    100,
  );
  return {
    cursor: s.cursor,
    errors: all.filter((e) => e.level === 'error').length,
    recent: all.slice(-5).map((e) => ({ kind: e.kind, text: e.text, ...(e.url ? { url: e.url } : {}) })),
  };
}

export interface ActionResult {
  url: string;
  title: string;
  diff: string;
  tokens: number;
  events: EventSummary;
}

/** Runs an action, lets the page settle, and returns what changed (the diff within `budget`). */
export async function act(
  s: BrowserSession,
  ref: string | undefined,
  fn: () => Promise<unknown>,
  budget = DEFAULT_BUDGET,
): Promise<ActionResult> {
  return s.run(async () => {
    const cursor = s.cursor;
    try {
      await fn();
      await s.settle();
      const { diff } = await s.diff();
      const shaped = withinBudget(diff.length > 0 ? diff : ['# no change in the accessibility tree'], budget);
      return {
        url: s.page.url(),
        title: await s.page.title().catch(() => ''),
        diff: shaped.text,
        tokens: shaped.tokens,
        events: summary(s, cursor),
      };
    } catch (err) {
      throw browserError(err, ref);
    }
  });
}

export type SnapshotMode = 'full' | 'diff' | 'find';

export interface SnapshotResult {
  url: string;
  title: string;
  mode: SnapshotMode;
  snapshot: string;
  tokens: number;
  omitted: number;
  events: EventSummary;
}

export async function snapshot(
  s: BrowserSession,
  opts: { mode: SnapshotMode; budget: number; find?: string | undefined; since?: number | undefined },
): Promise<SnapshotResult> {
  return s.run(async () => {
    try {
      const before = s.lastLines;
      const { lines, diff } = await s.diff();
      let body: string[];
      if (opts.mode === 'find') {
        if (!opts.find) throw new ValidationError("mode 'find' needs a find text");
        body = findLines(lines, opts.find);
        if (body.length === 0) body = [`# nothing matches ${JSON.stringify(opts.find)}`];
      } else if (opts.mode === 'diff') body = before.length === 0 ? lines : diff.length > 0 ? diff : ['# no change'];
      else body = lines;
      const shaped = withinBudget(body, opts.budget);
      return {
        url: s.page.url(),
        title: await s.page.title().catch(() => ''),
        mode: opts.mode,
        snapshot: shaped.text,
        tokens: approxTokens(shaped.text),
        omitted: shaped.omitted,
        events: summary(s, opts.since ?? 0),
      };
    } catch (err) {
      throw browserError(err);
    }
  });
}

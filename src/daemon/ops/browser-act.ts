import { z } from 'zod';
import { act, browserError, byRef } from '../browser/actions.js';
import { ComputerAction, chord, runComputerActions } from '../browser/computer.js';
import { screenshot } from '../browser/screenshot.js';
import { DiscoError, ValidationError } from '../errors.js';
import { ACTION_OP, ActionResultSchema, actOn, budget, ref, sessionOf, target } from './browser-common.js';
import { defineOp } from './op.js';

const ACTS = ' Returns the snapshot diff it caused and the errors the page logged.';

export const browserClick = defineOp({
  name: 'browser_click',
  ...ACTION_OP,
  title: 'Click an element',
  description: `Use to click an element by its ref from the last snapshot (button, double).${ACTS}`,
  path: '/computer-use/:container/click',
  input: z.object({
    ...target,
    ref,
    button: z.enum(['left', 'right', 'middle']).default('left'),
    double: z.boolean().default(false),
    budget,
  }),
  run: (input, ctx) =>
    actOn(ctx, input, input.ref, (s) =>
      input.double
        ? byRef(s, input.ref).dblclick({ button: input.button })
        : byRef(s, input.ref).click({ button: input.button }),
    ),
});

export const browserType = defineOp({
  name: 'browser_type',
  ...ACTION_OP,
  title: 'Type into a field',
  description:
    "Use to fill a text field (ref) with text (mode 'fill'), or type it key by key (mode 'keys'); " +
    'submit: true presses Enter after.' +
    ACTS,
  path: '/computer-use/:container/type',
  input: z.object({
    ...target,
    ref,
    text: z.string().max(100_000),
    mode: z.enum(['fill', 'keys']).default('fill'),
    submit: z.boolean().default(false),
    budget,
  }),
  run: (input, ctx) =>
    actOn(ctx, input, input.ref, async (s) => {
      const el = byRef(s, input.ref);
      if (input.mode === 'fill') await el.fill(input.text);
      else await el.pressSequentially(input.text);
      if (input.submit) await el.press('Enter');
    }),
});

export const browserPress = defineOp({
  name: 'browser_press',
  ...ACTION_OP,
  title: 'Press keys',
  description: `Use to press a key chord ('Enter', 'Control+a') on the focused element or on ref.${ACTS}`,
  path: '/computer-use/:container/press',
  input: z.object({ ...target, keys: z.string().min(1).max(100), ref: ref.optional(), budget }),
  run: (input, ctx) => {
    const keys = chord([input.keys]);
    return actOn(ctx, input, input.ref, (s) =>
      input.ref ? byRef(s, input.ref).press(keys) : s.page.keyboard.press(keys),
    );
  },
});

export const browserSelect = defineOp({
  name: 'browser_select',
  ...ACTION_OP,
  title: 'Choose options',
  description: `Use to choose options (by value or label) in a select element (ref).${ACTS}`,
  path: '/computer-use/:container/select',
  input: z.object({ ...target, ref, values: z.array(z.string().max(1000)).min(1).max(100), budget }),
  run: (input, ctx) => actOn(ctx, input, input.ref, (s) => byRef(s, input.ref).selectOption(input.values)),
});

export const browserHover = defineOp({
  name: 'browser_hover',
  ...ACTION_OP,
  title: 'Hover an element',
  description: `Use to move the mouse over an element (ref), for menus and tooltips that open on hover.${ACTS}`,
  path: '/computer-use/:container/hover',
  input: z.object({ ...target, ref, budget }),
  run: (input, ctx) => actOn(ctx, input, input.ref, (s) => byRef(s, input.ref).hover()),
});

export const browserScroll = defineOp({
  name: 'browser_scroll',
  ...ACTION_OP,
  title: 'Scroll',
  description: `Use to scroll an element (ref) into view, or the page by dx/dy CSS pixels.${ACTS}`,
  path: '/computer-use/:container/scroll',
  input: z.object({
    ...target,
    ref: ref.optional(),
    dx: z.number().min(-100_000).max(100_000).default(0),
    dy: z.number().min(-100_000).max(100_000).default(0),
    budget,
  }),
  run: (input, ctx) =>
    actOn(ctx, input, input.ref, (s) =>
      input.ref ? byRef(s, input.ref).scrollIntoViewIfNeeded() : s.page.mouse.wheel(input.dx, input.dy),
    ),
});

export const browserWaitFor = defineOp({
  name: 'browser_wait_for',
  ...ACTION_OP,
  title: 'Wait for the page',
  description:
    'Use to wait (timeoutMs, default 5 s, at most 30 s) until text appears, textGone disappears, a ' +
    'ref is visible, the URL contains url, or the network is idle; a timeout is a typed error.' +
    ACTS,
  path: '/computer-use/:container/wait',
  input: z.object({
    ...target,
    text: z.string().min(1).max(1000).optional(),
    textGone: z.string().min(1).max(1000).optional(),
    ref: ref.optional(),
    url: z.string().min(1).max(2000).optional(),
    networkIdle: z.boolean().default(false),
    timeoutMs: z.number().int().min(1).max(30_000).default(5_000),
    budget,
  }),
  run: async (input, ctx) => {
    const { text, textGone, url, timeoutMs: timeout } = input;
    if (!text && !textGone && !input.ref && !url && !input.networkIdle)
      throw new ValidationError('wait for something: text, textGone, ref, url or networkIdle');
    return actOn(ctx, input, undefined, async (s) => {
      try {
        const p = s.page;
        if (text) await p.getByText(text).first().waitFor({ state: 'visible', timeout });
        if (textGone) await p.getByText(textGone).first().waitFor({ state: 'hidden', timeout });
        if (input.ref) await byRef(s, input.ref).waitFor({ state: 'visible', timeout });
        if (url) await p.waitForURL((u) => u.href.includes(url), { timeout });
        if (input.networkIdle) await p.waitForLoadState('networkidle', { timeout });
      } catch (err) {
        const e = browserError(err);
        throw e.code === 'timeout' || /Timeout/.test(String(err))
          ? new DiscoError('timeout', `the page did not reach that state within ${timeout} ms`, {
              timeoutMs: timeout,
            })
          : e;
      }
    });
  },
});

export const computerAction = defineOp({
  name: 'computer_action',
  ...ACTION_OP,
  title: 'Use mouse and keyboard',
  description:
    'Use for canvas and visual work where refs do not help: an ordered list of actions (click, ' +
    'double_click, move, drag, scroll, type, keypress, wait, screenshot) with coordinates in pixels ' +
    'of the last browser_screenshot. Returns the snapshot diff, and a screenshot when asked.',
  path: '/computer-use/:container/actions',
  input: z.object({ ...target, actions: z.array(ComputerAction).min(1).max(50), budget }),
  output: ActionResultSchema.extend({
    screenshot: z
      .object({
        mimeType: z.string(),
        width: z.number().int(),
        height: z.number().int(),
        scale: z.number(),
        data: z.string().optional().describe('Base64 (REST; MCP sends it as image content).'),
      })
      .optional(),
  }),
  view: 'screenshot',
  binary: (out) => {
    const o = out as { screenshot?: { mimeType: string; data: string } };
    if (!o.screenshot) return undefined;
    const { screenshot: shot, ...rest } = o as { screenshot: { mimeType: string; data: string } } & Record<
      string,
      unknown
    >;
    const { data, ...meta } = shot;
    return { mimeType: shot.mimeType, base64: data, rest: { ...rest, screenshot: meta }, jsonOnRest: true };
  },
  run: async (input, ctx) => {
    const s = await sessionOf(ctx, input);
    let shot = false;
    const result = await act(
      s,
      undefined,
      async () => {
        shot = await runComputerActions(s, input.actions);
      },
      input.budget,
    );
    if (!shot) return result;
    const img = await s.run(() => screenshot(s, { format: 'png' }));
    return {
      ...result,
      screenshot: {
        mimeType: img.mimeType,
        width: img.width,
        height: img.height,
        scale: img.scale,
        data: img.data.toString('base64'),
      },
    };
  },
});

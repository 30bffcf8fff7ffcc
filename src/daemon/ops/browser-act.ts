import * as contract from '../../contracts/browser-act.js';
import { act, browserError, byRef } from '../browser/actions.js';
import { chord, runComputerActions } from '../browser/computer.js';
import { screenshot } from '../browser/screenshot.js';
import { DiscoError, ValidationError } from '../errors.js';
import { actOn, sessionOf } from './browser-common.js';
import { implement } from './op.js';

export const browserClick = implement(contract.browserClick, {
  run: (input, ctx) =>
    actOn(ctx, input, input.ref, (s) =>
      input.double
        ? byRef(s, input.ref).dblclick({ button: input.button })
        : byRef(s, input.ref).click({ button: input.button }),
    ),
});

export const browserType = implement(contract.browserType, {
  run: (input, ctx) =>
    actOn(ctx, input, input.ref, async (s) => {
      const el = byRef(s, input.ref);
      if (input.mode === 'fill') await el.fill(input.text);
      else await el.pressSequentially(input.text);
      if (input.submit) await el.press('Enter');
    }),
});

export const browserPress = implement(contract.browserPress, {
  run: (input, ctx) => {
    const keys = chord([input.keys]);
    return actOn(ctx, input, input.ref, (s) =>
      input.ref ? byRef(s, input.ref).press(keys) : s.page.keyboard.press(keys),
    );
  },
});

export const browserSelect = implement(contract.browserSelect, {
  run: (input, ctx) => actOn(ctx, input, input.ref, (s) => byRef(s, input.ref).selectOption(input.values)),
});

export const browserHover = implement(contract.browserHover, {
  run: (input, ctx) => actOn(ctx, input, input.ref, (s) => byRef(s, input.ref).hover()),
});

export const browserScroll = implement(contract.browserScroll, {
  run: (input, ctx) =>
    actOn(ctx, input, input.ref, (s) =>
      input.ref ? byRef(s, input.ref).scrollIntoViewIfNeeded() : s.page.mouse.wheel(input.dx, input.dy),
    ),
});

export const browserWaitFor = implement(contract.browserWaitFor, {
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

export const computerAction = implement(contract.computerAction, {
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

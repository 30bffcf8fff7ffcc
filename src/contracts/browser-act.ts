import { z } from 'zod';
import { ACTION_OP, ActionResultSchema, budget, ref, target } from './browser-common.js';
import { ComputerAction } from './computer.js';
import { defineContract } from './contract.js';

export const ACTS = ' Returns the snapshot diff it caused and the errors the page logged.';

export const browserClick = defineContract({
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
});

export const browserType = defineContract({
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
});

export const browserPress = defineContract({
  name: 'browser_press',
  ...ACTION_OP,
  title: 'Press keys',
  description: `Use to press a key chord ('Enter', 'Control+a') on the focused element or on ref.${ACTS}`,
  path: '/computer-use/:container/press',
  input: z.object({ ...target, keys: z.string().min(1).max(100), ref: ref.optional(), budget }),
});

export const browserSelect = defineContract({
  name: 'browser_select',
  ...ACTION_OP,
  title: 'Choose options',
  description: `Use to choose options (by value or label) in a select element (ref).${ACTS}`,
  path: '/computer-use/:container/select',
  input: z.object({ ...target, ref, values: z.array(z.string().max(1000)).min(1).max(100), budget }),
});

export const browserHover = defineContract({
  name: 'browser_hover',
  ...ACTION_OP,
  title: 'Hover an element',
  description: `Use to move the mouse over an element (ref), for menus and tooltips that open on hover.${ACTS}`,
  path: '/computer-use/:container/hover',
  input: z.object({ ...target, ref, budget }),
});

export const browserScroll = defineContract({
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
});

export const browserWaitFor = defineContract({
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
});

export const computerAction = defineContract({
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
});

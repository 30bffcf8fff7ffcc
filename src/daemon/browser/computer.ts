import { ComputerAction } from '../../contracts/computer.js';
import type { BrowserSession } from './session.js';

export { ComputerAction };

const KEY_NAMES: Record<string, string> = {
  ctrl: 'Control',
  control: 'Control',
  cmd: 'Meta',
  meta: 'Meta',
  super: 'Meta',
  win: 'Meta',
  alt: 'Alt',
  option: 'Alt',
  shift: 'Shift',
  enter: 'Enter',
  return: 'Enter',
  esc: 'Escape',
  escape: 'Escape',
  tab: 'Tab',
  space: ' ',
  backspace: 'Backspace',
  delete: 'Delete',
  del: 'Delete',
  up: 'ArrowUp',
  down: 'ArrowDown',
  left: 'ArrowLeft',
  right: 'ArrowRight',
  arrowup: 'ArrowUp',
  arrowdown: 'ArrowDown',
  arrowleft: 'ArrowLeft',
  arrowright: 'ArrowRight',
  pageup: 'PageUp',
  pagedown: 'PageDown',
  home: 'Home',
  end: 'End',
};

/** `['ctrl', 'a']`, `['ctrl+a']` or `['Enter']` as one Playwright chord (`Control+a`). */
export function chord(keys: readonly string[]): string {
  return keys
    .flatMap((k) => (k.length > 1 && k.includes('+') ? k.split('+') : [k]))
    .map((k) => KEY_NAMES[k.toLowerCase()] ?? (k.length === 1 ? k : k[0]?.toUpperCase() + k.slice(1)))
    .join('+');
}

/** Runs the actions in order on the session's page; returns whether a screenshot was asked for. */
export async function runComputerActions(s: BrowserSession, actions: readonly ComputerAction[]): Promise<boolean> {
  const { mouse, keyboard } = s.page;
  const at = (x: number, y: number) => [x / s.scale, y / s.scale] as const;
  let shot = false;
  for (const a of actions) {
    switch (a.type) {
      case 'click':
      case 'double_click': {
        const [x, y] = at(a.x, a.y);
        await mouse.click(x, y, { button: a.button, clickCount: a.type === 'double_click' ? 2 : 1 });
        break;
      }
      case 'move':
        await mouse.move(...at(a.x, a.y));
        break;
      case 'drag': {
        const [first, ...rest] = a.path;
        if (!first) break;
        await mouse.move(...at(first.x, first.y));
        await mouse.down();
        for (const p of rest) await mouse.move(...at(p.x, p.y), { steps: 4 });
        await mouse.up();
        break;
      }
      case 'scroll':
        if (a.x !== undefined && a.y !== undefined) await mouse.move(...at(a.x, a.y));
        await mouse.wheel(a.dx / s.scale, a.dy / s.scale);
        break;
      case 'type':
        await keyboard.type(a.text);
        break;
      case 'keypress':
        await keyboard.press(chord(a.keys));
        break;
      case 'wait':
        await new Promise((r) => setTimeout(r, a.ms));
        break;
      case 'screenshot':
        shot = true;
        break;
    }
  }
  return shot;
}

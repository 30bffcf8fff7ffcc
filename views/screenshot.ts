import { dataOf, type Json, start } from './shared/bridge.js';
import { arr, errorText, h, num, pill, render, str } from './shared/ui.js';

/**
 * Screenshot card: browser_screenshot, browser_screenshot_get and computer_action. The image comes from the
 * result's image content (never fetched), with the page's title and URL, the actions just done and the
 * accessibility-tree diff they caused.
 */

const DIFF_LINES = 12;

/** One computer_action step in a few words: `click 260,40`, `type "Ada"`, `keypress Control+a`. */
function step(a: Json): string {
  const type = str(a.type);
  const at = num(a.x) !== undefined && num(a.y) !== undefined ? ` ${a.x},${a.y}` : '';
  if (type === 'type') return `type ${JSON.stringify(str(a.text).slice(0, 40))}`;
  if (type === 'keypress') return `keypress ${arr<string>(a.keys).join('+')}`;
  if (type === 'scroll') return `scroll${at} ${num(a.dx) ?? 0},${num(a.dy) ?? 0}`;
  if (type === 'wait') return `wait ${num(a.ms) ?? 1000} ms`;
  if (type === 'drag') return `drag ${arr(a.path).length} points`;
  return `${type}${at}`;
}

function actionsOf(args: Json): string {
  const steps = arr(args.actions);
  if (steps.length) return steps.map(step).join(' · ');
  if (str(args.ref)) return `screenshot of ${str(args.ref)}`;
  return args.fullPage === true ? 'full-page screenshot' : '';
}

start('screenshot', {
  onResult: (result, args) => {
    if (result.isError) {
      render(
        h('header', {}, h('span', { class: 'title' }, 'Screenshot')),
        h('section', { class: 'err' }, errorText(result)),
      );
      return;
    }
    const d = dataOf(result) ?? {};
    const page = (d.page as Json | undefined) ?? d;
    const url = str(page.url);
    const title = str(page.title) || url || 'Screenshot';
    const shot = (d.screenshot as Json | undefined) ?? d;
    const image = result.content?.find((c) => c.type === 'image' && c.data);
    const events = d.events as Json | undefined;
    const errors = num(events?.errors) ?? 0;
    const diff = str(d.diff).split('\n').filter(Boolean);
    const actions = actionsOf(args);
    render(
      h(
        'header',
        {},
        h('span', { class: 'title' }, title),
        errors ? pill(`${errors} page error${errors === 1 ? '' : 's'}`, 'bad') : null,
        url && url !== title ? h('span', { class: 'muted mono url' }, url) : null,
      ),
      actions ? h('section', { class: 'muted action' }, actions) : null,
      image
        ? h('img', {
            class: 'shot',
            src: `data:${image.mimeType ?? 'image/png'};base64,${image.data}`,
            alt: `Screenshot of ${title}`,
            width: num(shot.width),
            height: num(shot.height),
          })
        : null,
      diff.length
        ? h(
            'pre',
            { class: 'diff' },
            diff.slice(0, DIFF_LINES).join('\n') +
              (diff.length > DIFF_LINES ? `\n… ${diff.length - DIFF_LINES} more` : ''),
          )
        : null,
    );
  },
});

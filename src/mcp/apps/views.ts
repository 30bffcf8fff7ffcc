import { readFile } from 'node:fs/promises';
import type { OpView } from '../../daemon/ops/op.js';

/** What each view shows; the HTML is bundled from `views/` by `scripts/build-views.mjs` at build time. */
export const VIEWS: Record<OpView, { title: string; description: string }> = {
  command: {
    title: 'Command run',
    description: 'Output and exit status of a command; follows and stops background ones.',
  },
  file: { title: 'File', description: 'A file with syntax highlighting, or a diff.' },
  container: { title: 'Container', description: 'A container at a glance: files, running processes, open ports.' },
  search: { title: 'Search results', description: 'Matches with their snippets.' },
  screenshot: {
    title: 'Screenshot',
    description: 'A screenshot of the container browser with its page, the action just done and what changed.',
  },
};

export const viewUri = (view: OpView): string => `ui://disco/${view}.html`;

/** `dist/views/`, seen from `src/mcp/apps` (tests) and from `dist/mcp/apps` (the package) alike. */
const VIEWS_DIR = new URL('../../../dist/views/', import.meta.url);
const cache = new Map<OpView, Promise<string>>();

/**
 * The self-contained HTML of a view (read once; a failed read is retried next time). A missing file (a
 * checkout built without `npm run build`) is an error that names no path.
 */
export function viewHtml(view: OpView): Promise<string> {
  let html = cache.get(view);
  if (!html) {
    html = readFile(new URL(`${view}.html`, VIEWS_DIR), 'utf8').catch(() => {
      cache.delete(view);
      throw new Error(`the ${view} view is not built (npm run build)`);
    });
    cache.set(view, html);
  }
  return html;
}

import { randomBytes } from 'node:crypto';
import { type Request, type Response, Router } from 'express';
import type { ViewGrant, ViewLinks } from '../auth/view-links.js';
import { DiscoError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Services } from '../ops/services.js';
import { escapeHtml, pageHtml } from './pages/html.js';

/** Most of a file one page shows; the rest is a click on "read on" away (another signed link is not needed). */
const PAGE_BYTES = 512 * 1024;

const STYLE = `
  body{font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,sans-serif;margin:0;background:#f7f7f8;color:#1c1e21}
  header{padding:14px 20px;background:#fff;border-bottom:1px solid #e5e5e5} h1{font-size:16px;margin:0}
  .muted{color:#606770;font-size:13px} main{padding:16px 20px}
  pre{background:#fff;border:1px solid #e5e5e5;border-radius:8px;padding:12px;overflow:auto;font:12.5px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace;counter-reset:l}
  .error{background:#fdecea;color:#a4000f;padding:10px 14px;border-radius:8px;max-width:640px}
`;

function send(res: Response, status: number, title: string, body: string): void {
  const nonce = randomBytes(16).toString('base64');
  res.setHeader(
    'Content-Security-Policy',
    `default-src 'none'; style-src 'nonce-${nonce}'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
  );
  // The link is a credential: never cached, never sent on as a Referer.
  res.setHeader('Cache-Control', 'private, no-store');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Robots-Tag', 'noindex');
  res
    .status(status)
    .type('html')
    .send(pageHtml(title, STYLE, nonce, body));
}

const problem = (res: Response, status: number, message: string) =>
  send(res, status, 'Cannot show this file', `<main><div class="error">${escapeHtml(message)}</div></main>`);

/**
 * `GET /view/<container>/<path>?t=<signed link>`: the page a citation URL of search/fetch opens, for a person
 * (HTML, not the JSON API). The signed link names the file and its owner; the owner must still own the
 * container. Read-only, one file, bounded.
 */
export function viewRoutes(services: Services, links: ViewLinks, log: Logger): Router {
  const router = Router();
  router.get('/:container/*path', async (req: Request, res: Response) => {
    const token = typeof req.query.t === 'string' ? req.query.t : '';
    const grant = token ? await links.verify(token) : undefined;
    if (grant === 'expired') {
      return problem(res, 410, 'This link has expired. Ask the assistant again for a fresh one.');
    }
    const path = ([] as string[]).concat(req.params.path ?? []).join('/');
    if (!grant || grant.containerId !== req.params.container || grant.path !== path) {
      return problem(res, 403, 'This link is not valid.');
    }
    try {
      return send(res, 200, grant.path, await render(services, grant));
    } catch (err) {
      if (err instanceof DiscoError && err.status < 500) return problem(res, err.status, err.message);
      log.error({ err }, 'view page failed');
      return problem(res, 500, 'Something went wrong showing this file.');
    }
  });
  return router;
}

async function render(services: Services, grant: ViewGrant): Promise<string> {
  const c = await services.containers.get(grant.userId, grant.containerId);
  const r = await services.files.read(c.root, {
    path: grant.path,
    encoding: 'auto',
    pageBytes: PAGE_BYTES,
    ...(grant.lines ? { startLine: grant.lines.start, endLine: grant.lines.end } : {}),
  });
  const range = grant.lines ? ` · lines ${grant.lines.start}–${grant.lines.end}` : '';
  const header =
    `<header><h1>${escapeHtml(grant.path)}</h1>` +
    `<div class="muted">${escapeHtml(c.name)}${range} · ${r.size} bytes · ${escapeHtml(r.mtime)}</div></header>`;
  if (r.encoding === 'base64') return `${header}<main><p class="muted">Binary file: not shown.</p></main>`;
  const more = r.truncated ? '<p class="muted">Only the start is shown: the file is longer than one page.</p>' : '';
  return `${header}<main><pre>${escapeHtml(r.content)}</pre>${more}</main>`;
}

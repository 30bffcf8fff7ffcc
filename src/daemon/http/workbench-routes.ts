import { readFile } from 'node:fs/promises';
import { type Response, Router } from 'express';
import type { Config } from '../config.js';
import { escapeHtml } from './pages/html.js';

/** `dist/workbench/`, seen from `src/daemon/http` (tests) and `dist/daemon/http` (the package) alike. */
const ASSETS_DIR = new URL('../../../dist/workbench/', import.meta.url);
const ASSETS: Record<string, string> = {
  'workbench.js': 'text/javascript; charset=utf-8',
  'workbench.css': 'text/css; charset=utf-8',
};
/** Where the real WebContainer runtime and its previews are served (StackBlitz). */
const RUNTIME_ORIGINS =
  'https://stackblitz.com https://*.stackblitz.com https://*.staticblitz.com https://*.webcontainer-api.io https://*.webcontainer.io';

/**
 * Cross-origin isolation (WebContainer's SharedArrayBuffer needs it) and the page's own resources only.
 * Security: the page holds an attach token and runs a container's commands; nothing of another origin
 * may script it or frame it. `'unsafe-eval'` only for the test stand-in, whose `node -e` evaluates
 * scripts in the page (never in production: the setting is refused outside NODE_ENV=test).
 */
function isolate(res: Response, standin: boolean, runtimeOrigin: string): void {
  const runtime = `${RUNTIME_ORIGINS} ${runtimeOrigin}`;
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader(
    'Content-Security-Policy',
    [
      "default-src 'none'",
      `script-src 'self'${standin ? " 'unsafe-eval'" : ''}`,
      // xterm writes its own <style> elements.
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      "font-src 'self'",
      `connect-src 'self' ${runtime}`,
      `frame-src ${runtime}`,
      "worker-src 'self' blob:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
  );
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Robots-Tag', 'noindex');
}

/**
 * `GET /workbench/<container>`: the workbench page of a webcontainer container (a terminal, the preview of
 * its first served port, and the bridge that runs the container's commands in the page), and its bundled
 * assets under `/workbench/assets/`. The page holds no data: it attaches with the token in its URL's
 * fragment (`disco open`), which never reaches a server or a log.
 */
export function workbenchRoutes(config: Config): Router {
  const router = Router();
  const cache = new Map<string, Buffer>();
  router.get('/assets/:file', async (req, res) => {
    const file = req.params.file;
    const type = ASSETS[file];
    if (!type) return void res.status(404).end();
    let body = cache.get(file);
    if (!body) {
      body = await readFile(new URL(file, ASSETS_DIR)).catch(() => undefined);
      if (!body) return void res.status(503).type('text').send('the workbench is not built (npm run build)');
      cache.set(file, body);
    }
    isolate(res, config.webcontainerStandin, config.webcontainerRuntimeOrigin);
    res.setHeader('Cache-Control', 'no-cache');
    res.type(type).send(body);
  });
  router.get('/:container', (req, res) => {
    const id = req.params.container;
    if (!/^[A-Za-z0-9_.-]{1,128}$/.test(id)) return void res.status(404).end();
    isolate(res, config.webcontainerStandin, config.webcontainerRuntimeOrigin);
    res.setHeader('Cache-Control', 'private, no-store');
    res
      .type('html')
      .send(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">' +
          `<title>${escapeHtml(id)} · Disco workbench</title><link rel="stylesheet" href="/workbench/assets/workbench.css"></head>` +
          `<body data-container="${escapeHtml(id)}"><div id="banner" hidden></div><main><section id="terminal"></section>` +
          '<section id="preview"><div id="preview-empty">No server yet.</div></section></main>' +
          '<script src="/workbench/assets/workbench.js"></script></body></html>',
      );
  });
  return router;
}

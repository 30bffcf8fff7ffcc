import { createRequire } from 'node:module';
import path from 'node:path';
import express, { Router } from 'express';

const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Disco API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" href="/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

// Served as a file, not inline, so the page works under a CSP without 'unsafe-inline' scripts.
// Security: the token typed into "Authorize" stays in the page (persistAuthorization off): in localStorage it
// would outlive the tab on the daemon's origin, readable by any script that ever runs there.
const INIT_JS = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  persistAuthorization: false,
});
`;

/** Swagger UI (mounted at /docs), from the swagger-ui-dist package (no CDN: works offline and behind a tunnel). */
export function docsRouter(): Router {
  const require = createRequire(import.meta.url);
  const assets = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  const router = Router();
  router.get('/', (_req, res) => {
    res.type('html').setHeader('Cache-Control', 'no-cache').send(INDEX_HTML);
  });
  router.get('/init.js', (_req, res) => {
    res.type('application/javascript').send(INIT_JS);
  });
  router.use('/assets', express.static(assets, { index: false, maxAge: '1d' }));
  return router;
}

import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { DiscoError, toDiscoError } from '../errors.js';
import { escapeHtml } from '../http/pages/html.js';

/** Headers of every page the preview itself answers (never the app's): nothing runs, nothing is cached. */
const PAGE_HEADERS = {
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

const HINT: Partial<Record<string, string>> = {
  unauthorized: 'Open the preview with a fresh link: `disco preview <container> <port>`, or ask for a share link.',
  port_closed: 'Start the server in the container first (for instance with exec background: true).',
};

/**
 * A typed error as the preview answers it: JSON `{ error }` for clients that ask for JSON, else a short
 * HTML page. Never the API's bearer-token challenge: a browser on a preview has no token to give.
 */
export function sendPreviewError(res: ServerResponse, err: unknown, accept: string | undefined): void {
  const error = err instanceof DiscoError ? err : toDiscoError(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = error.status;
  for (const [k, v] of Object.entries(PAGE_HEADERS)) res.setHeader(k, v);
  if (accept?.includes('application/json') && !accept.includes('text/html')) {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify(error.toBody()));
    return;
  }
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  const hint = HINT[error.code];
  res.end(
    `<!doctype html><meta charset="utf-8"><title>Preview: ${escapeHtml(error.code)}</title>` +
      `<h1>Preview unavailable</h1><p>${escapeHtml(error.message)} (<code>${escapeHtml(error.code)}</code>)</p>` +
      (hint ? `<p>${escapeHtml(hint)}</p>` : ''),
  );
}

/** The same error on a raw socket (a refused WebSocket upgrade), then the socket is closed. */
export function refuseUpgrade(socket: Duplex, err: unknown): void {
  const error = err instanceof DiscoError ? err : toDiscoError(err);
  const body = JSON.stringify(error.toBody());
  socket.end(
    `HTTP/1.1 ${error.status} ${error.code}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

import http from 'node:http';
import https from 'node:https';
import type { Request, Response } from 'express';
import { isLocalCredential } from '../auth/local-credential.js';
import { bearerOf } from '../auth/realm.js';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'te',
  'trailer',
]);

/**
 * Passes one HTTP request on to another instance and streams its answer back (SSE included), as a
 * reverse proxy would. The caller's own credentials go along: the other instance checks them itself.
 */
export function proxyRequest(req: Request, res: Response, targetBase: string, body?: unknown): Promise<void> {
  const target = new URL(req.originalUrl, targetBase);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const headers: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) headers[k] = v;
  // Security: a daemon's local credential never leaves it (the caller never routes one here; belt and braces).
  if (isLocalCredential(bearerOf(req.headers.authorization))) delete headers.authorization;
  if (payload) headers['content-length'] = payload.length;
  // Host stays the caller's, so the other instance derives the same public URL (token issuer, links).
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const upstream = client.request(target, { method: req.method, headers }, (answer) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(answer.headers))
        if (!HOP_BY_HOP.has(k) && k !== 'host' && v !== undefined) out[k] = v;
      res.writeHead(answer.statusCode ?? 502, out);
      answer.pipe(res);
      answer.once('end', () => resolve());
    });
    upstream.once('error', () => {
      if (!res.headersSent)
        res.status(503).json({
          jsonrpc: '2.0',
          error: { code: -32001, message: 'the instance holding this session did not answer' },
          id: null,
        });
      else res.end();
      resolve();
    });
    res.once('close', () => upstream.destroy());
    upstream.end(payload);
  });
}

import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { coerceQuery } from '../ops/input.js';
import { invokeOp } from '../ops/invoke.js';
import type { Op, Principal } from '../ops/op.js';
import type { Services } from '../ops/services.js';
import { RouteTable } from './route-table.js';

/**
 * Mounts every op of the registry as a REST route; the op's method and path decide where. One middleware
 * with a precompiled table (route-table.ts) instead of an express route per op. A request no op serves
 * goes on to the next handler (OPTIONS answers with the methods the path allows, as express's router does).
 */
export function opRoutes(ops: readonly Op[], services: Services): RequestHandler {
  const table = new RouteTable<Op>();
  for (const op of ops) table.add(op.method, op.path, op);
  return (req: Request, res: Response, next: NextFunction) => {
    let found: ReturnType<typeof table.match>;
    try {
      found = table.match(req.method, req.path);
    } catch (err) {
      next(err);
      return;
    }
    if (!found) {
      if (req.method !== 'OPTIONS') return next();
      const allow = table.methodsAt(req.path);
      if (allow.length === 0) return next();
      res.setHeader('Allow', allow.join(', '));
      res.send(allow.join(', '));
      return;
    }
    req.params = found.params;
    runOp(found.value, services, req, res).catch(next);
  };
}

async function runOp(op: Op, services: Services, req: Request, res: Response): Promise<void> {
  // The client hung up before we answered: stop the work (e.g. kill a running command). Perf: the
  // controller and its `close` listener are made only for ops that look at their signal; one that looks
  // after the client left gets a signal already aborted.
  let controller: AbortController | undefined;
  const signal = () => {
    if (!controller) {
      const made = new AbortController();
      controller = made;
      if (res.closed) {
        if (!res.writableFinished) made.abort();
      } else {
        res.once('close', () => {
          if (!res.writableFinished) made.abort();
        });
      }
    }
    return controller.signal;
  };
  const body = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? req.body : {};
  const input = {
    ...coerceQuery(op.input, req.query as Record<string, unknown>),
    ...body,
    ...req.params,
  };
  const result = await invokeOp(op, input, {
    principal: res.locals.principal as Principal,
    services,
    get signal() {
      return signal();
    },
    baseUrl: res.locals.baseUrl as string,
    progress: () => {},
    transport: 'rest',
  });
  res.setHeader('Cache-Control', 'no-store');
  const image = op.binary?.(result);
  if (image && !image.jsonOnRest && input.encoding !== 'json') {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res
      .status(op.successStatus ?? 200)
      .type(image.mimeType)
      .send(Buffer.from(image.base64, 'base64'));
    return;
  }
  sendJson(req, res, op.successStatus ?? 200, result);
}

/**
 * What express's `res.json` answers for a JSON body (same status, Content-Type, Content-Length and bytes; no
 * body for HEAD), written directly. Perf: express's `send` converts the text to a Buffer, parses the
 * Content-Type it just set to add a charset and checks request freshness for an ETag these responses never
 * carry (ETags are off) — per request, for nothing.
 */
export function sendJson(req: Request, res: Response, status: number, body: unknown): void {
  const text = JSON.stringify(body) ?? '';
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  if (req.method === 'HEAD') res.end();
  else res.end(text);
}

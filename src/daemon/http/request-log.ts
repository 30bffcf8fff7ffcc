import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../log.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * Gives every request an id (the caller's X-Request-Id when well-formed), echoes it back, and logs one
 * line when the response ends. Only the path is logged: query strings may carry secrets.
 */
export function requestLog(log: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = req.get('x-request-id');
    const id = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const started = performance.now();
    res.locals.requestId = id;
    // Perf: the request's child logger is made only when something logs through it (errors, mostly).
    let child: Logger | undefined;
    Object.defineProperty(res.locals, 'log', {
      get: () => {
        child ??= log.child({ reqId: id });
        return child;
      },
      enumerable: true,
      configurable: true,
    });
    res.setHeader('X-Request-Id', id);
    res.once('finish', () => {
      const line = {
        reqId: id,
        method: req.method,
        path: req.path,
        status: res.statusCode,
        ms: Math.round((performance.now() - started) * 100) / 100,
        ...(res.locals.errorCode ? { code: res.locals.errorCode } : {}),
      };
      if (res.statusCode >= 500) log.error(line, 'request failed');
      else log.info(line, 'request');
    });
    next();
  };
}

import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../log.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export interface RequestLogOptions {
  /** Headers set on every response (the security headers, computed once: see `securityHeaderList`). */
  headers?: ReadonlyArray<readonly [string, string]>;
  /** Headers set instead of `headers` on a request whose URL `matches` (the API's own set). */
  api?: { headers: ReadonlyArray<readonly [string, string]>; matches: (url: string) => boolean };
  /** Told the error code of every response that carries one (metrics). */
  onErrorCode?: (code: string) => void;
}

/**
 * The front door of every request, in one middleware layer with one `finish` listener: gives it an id (the
 * caller's X-Request-Id when well-formed) and echoes it back, sets the fixed response headers, and when the
 * response ends logs one line and counts its error code. Only the path is logged: query strings may carry
 * secrets. Perf: this replaces four layers (request log, a dozen helmet middlewares, the metrics counter)
 * that each cost a call chain and a listener per request. A request's child logger (`requestLogger`) is
 * made only when something logs through it (errors, mostly).
 */
export function requestLog(log: Logger, options: RequestLogOptions = {}) {
  const pageHeaders = options.headers ?? [];
  const { onErrorCode, api } = options;
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const started = performance.now();
    const locals = res.locals;
    locals.requestId = id;
    const headers = api?.matches(req.url) ? api.headers : pageHeaders;
    for (const [name, value] of headers) res.setHeader(name, value);
    res.setHeader('X-Request-Id', id);
    res.once('finish', () => {
      const code = locals.errorCode as string | undefined;
      if (code) onErrorCode?.(code);
      const status = res.statusCode;
      const level = status >= 500 ? 'error' : 'info';
      // Perf: the line is built only when it is written.
      if (!log.isLevelEnabled(level)) return;
      const line = {
        reqId: id,
        method: req.method,
        path: req.path,
        status,
        ms: Math.round((performance.now() - started) * 100) / 100,
        ...(code ? { code } : {}),
      };
      if (level === 'error') log.error(line, 'request failed');
      else log.info(line, 'request');
    });
    next();
  };
}

/** The logger of one request (its lines carry the request id), made on use: most requests never log. */
export function requestLogger(log: Logger, res: Response): Logger {
  const id = res.locals.requestId as string | undefined;
  return id === undefined ? log : log.child({ reqId: id });
}

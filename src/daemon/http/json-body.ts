import express, { type Request, type RequestHandler } from 'express';
import { DiscoError, ValidationError } from '../errors.js';

/** Whether the request carries body bytes (a chunked body, or a Content-Length above 0). */
function carriesBody(req: Request): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = Number(req.headers['content-length'] ?? 0);
  return Number.isFinite(length) && length > 0;
}

/**
 * The API's body parser: an op's input is one JSON object. GET and DELETE carry their input in the URL
 * (perf: no parser for them). A body in another type (`curl -d '{…}'` sends it as a form) or a JSON value
 * that is not an object (`[]`) is refused, rather than ignored: ignoring it ran the op with its defaults
 * (a container made with a generated name instead of the one asked for).
 */
export function jsonBody(limit: number): RequestHandler {
  const json = express.json({ limit, strict: true });
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'DELETE' || req.method === 'HEAD') return next();
    json(req, res, (err?: unknown) => {
      if (err) return next(err);
      if (req.body === undefined && carriesBody(req)) {
        return next(
          new DiscoError(
            'unsupported_media_type',
            `the request body must be JSON sent with Content-Type: application/json (got ${req.headers['content-type'] ?? 'no Content-Type'})`,
          ),
        );
      }
      if (req.body !== undefined && (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body))) {
        return next(new ValidationError('the request body must be a JSON object'));
      }
      next();
    });
  };
}

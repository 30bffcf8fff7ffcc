import express, { type Request, type RequestHandler } from 'express';
import { DiscoError, ValidationError } from '../errors.js';
import { jsonSeparatorsOver, MAX_JSON_SEPARATORS } from '../json-members.js';

/** body-parser's `type` of the refusal; `fromBodyParser` (app.ts) answers it as validation_failed. */
export const TOO_MANY_MEMBERS = 'entity.too.many.members';

/**
 * express.json with a shape check before the parse (any JSON value: MCP takes batches). Security (event
 * loop): JSON.parse builds an object of 200,000 keys (2.4 MB, far under the body limit, which file writes
 * need) in ~300 ms, more than the whole request may cost, and nothing after the parse can take that back.
 * The check refuses such a body first.
 */
export function jsonParser(limit: number): RequestHandler {
  return express.json({
    limit,
    strict: true,
    verify: (_req, _res, buf) => {
      if (jsonSeparatorsOver(buf, MAX_JSON_SEPARATORS)) {
        throw Object.assign(
          new Error(`request body has more than ${MAX_JSON_SEPARATORS} members and items: send less at once`),
          { type: TOO_MANY_MEMBERS },
        );
      }
    },
  });
}

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
  const json = jsonParser(limit);
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

import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Several middlewares as one router layer: each runs when the one before calls `next()`; an error (thrown,
 * passed to `next`, or a rejected promise, as express 5 treats them) skips the rest and goes to express's
 * error handling, and the last `next()` continues with the router's next layer. Perf: express's router
 * spends a path match, a layer dispatch and a `next` closure per layer on every request; the hot path's
 * fixed middlewares need none of that between them.
 */
export function inSequence(...handlers: RequestHandler[]): RequestHandler {
  return (req: Request, res: Response, done: NextFunction) => {
    let i = 0;
    const next = (err?: unknown) => {
      if (err !== undefined && err !== null) return done(err);
      const handler = handlers[i++];
      if (!handler) return done();
      try {
        const ret = handler(req, res, next) as unknown;
        if (ret instanceof Promise) ret.catch((e: unknown) => done(e ?? new Error('middleware rejected')));
      } catch (e) {
        done(e);
      }
    };
    next();
  };
}

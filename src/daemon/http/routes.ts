import { type Request, type Response, Router } from 'express';
import { coerceQuery } from '../ops/input.js';
import { invokeOp } from '../ops/invoke.js';
import type { Op, Principal } from '../ops/op.js';
import type { Services } from '../ops/services.js';

/** Mounts every op of the registry as a REST route; the op's method and path decide where. */
export function opRoutes(ops: readonly Op[], services: Services): Router {
  const router = Router();
  for (const op of ops) {
    const method = op.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
    router[method](op.path, async (req: Request, res: Response) => {
      // The client hung up before we answered: stop the work (e.g. kill a running command). Perf: the
      // controller is made only for ops that look at their signal.
      let controller: AbortController | undefined;
      let hungUp = false;
      res.once('close', () => {
        if (res.writableFinished) return;
        hungUp = true;
        controller?.abort();
      });
      const signal = () => {
        if (!controller) {
          controller = new AbortController();
          if (hungUp) controller.abort();
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
      res.status(op.successStatus ?? 200).json(result);
    });
  }
  return router;
}

import express, { type Request, type Response, Router } from 'express';
import { CLUSTER_HEADER, type Cluster, INTERNAL_OP_PATH, type WirePrincipal } from '../cluster/cluster.js';
import { DiscoError, toDiscoError } from '../errors.js';
import type { Logger } from '../log.js';
import { invokeOp } from '../ops/invoke.js';
import type { Op } from '../ops/op.js';
import type { Services } from '../ops/services.js';

/**
 * Ops forwarded by another instance: the body is signed with the cluster key (HMAC over a timestamp and
 * the body), which vouches for the caller's principal. Answers `{ result }` or `{ error }`.
 */
export function internalRoutes(
  ops: readonly Op[],
  services: Services,
  cluster: Cluster,
  log: Logger,
  limit: number,
): Router {
  const router = Router();
  const byName = new Map(ops.map((op) => [op.name, op]));
  router.post(
    `${INTERNAL_OP_PATH}/:name`,
    express.text({ type: 'application/json', limit }),
    async (req: Request, res: Response) => {
      const raw = typeof req.body === 'string' ? req.body : '';
      if (!cluster.verify(req.get(CLUSTER_HEADER), raw)) {
        res.status(401).json(new DiscoError('unauthorized', 'not a signed request from this cluster').toBody());
        return;
      }
      const op = byName.get(String(req.params.name));
      if (!op) {
        res.status(404).json(new DiscoError('not_found', `op '${req.params.name}' not found`).toBody());
        return;
      }
      const { input, principal, progressChannel } = JSON.parse(raw) as {
        input: unknown;
        principal: WirePrincipal;
        progressChannel?: string;
      };
      const controller = new AbortController();
      res.once('close', () => {
        if (!res.writableFinished) controller.abort();
      });
      const relay = typeof progressChannel === 'string' && progressChannel.startsWith('disco:progress:');
      try {
        const result = await invokeOp(op, input, {
          principal: { ...principal, scopes: new Set(principal.scopes) },
          services,
          signal: controller.signal,
          baseUrl: services.config.publicUrl ?? cluster.self.url,
          progress: relay ? (p) => cluster.publishProgress(progressChannel, p) : () => {},
          wantsProgress: relay,
          forwarded: true,
        });
        res.json({ result });
      } catch (err) {
        const e = toDiscoError(err);
        if (!(err instanceof DiscoError)) log.error({ err, op: op.name }, 'forwarded op failed');
        res.status(e.status).json(e.toBody());
      }
    },
  );
  return router;
}

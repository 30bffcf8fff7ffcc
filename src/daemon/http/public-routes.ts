import { type RequestHandler, Router } from 'express';
import { actsAsAdmin } from '../auth/scopes.js';
import type { Core } from '../core.js';
import { ForbiddenError } from '../errors.js';
import type { Metrics } from '../observability/metrics.js';
import { checkReadiness } from '../observability/readiness.js';
import { bearerAuth, principalOf } from './auth.js';
import { discoveryRouter } from './discovery.js';

export interface PublicRoutesDeps {
  core: Core;
  version: string;
  metrics?: Metrics | undefined;
  /** Pings Redis; present only when Redis is configured. */
  redisPing?: (() => Promise<void>) | undefined;
}

/**
 * Discovery (`/`, `/config`, `/capabilities`, `/.well-known/ai-plugin.json`) and `/ready`, all without a
 * token, plus `/metrics` behind the same bearer check as /api/v1 (and an admin's token).
 */
export function publicRoutes(deps: PublicRoutesDeps): Router {
  const { services, db, ops } = deps.core;
  const { config } = services;
  const router = Router();
  router.use(discoveryRouter({ ops, config, version: deps.version, sandbox: () => services.sandbox.report() }));
  router.get('/ready', async (_req, res, next) => {
    try {
      const readiness = await checkReadiness({
        db,
        sandbox: services.sandbox,
        sandboxRequired: config.sandbox === 'bwrap',
        home: config.home,
        minFreeBytes: config.minFreeDiskMb * 1024 * 1024,
        containersDir: config.containersDir,
        reserveBytes: config.diskReserveMb * 1024 * 1024,
        redisPing: deps.redisPing,
      });
      res.setHeader('Cache-Control', 'no-store');
      res.status(readiness.status === 'ready' ? 200 : 503).json(readiness);
    } catch (err) {
      next(err);
    }
  });
  if (deps.metrics) {
    // Metrics count every user's containers and calls: an admin's token with the admin scope only.
    const adminOnly: RequestHandler = (_req, res, next) =>
      next(actsAsAdmin(principalOf(res)) ? undefined : new ForbiddenError('metrics need an admin token'));
    router.get('/metrics', bearerAuth(services.auth, config, 'rest'), adminOnly, deps.metrics.handler());
  }
  return router;
}

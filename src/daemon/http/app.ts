import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { mcpRouter } from '../../mcp/http.js';
import type { LocalCredential } from '../auth/local-credential.js';
import type { Core } from '../core.js';
import { DiscoError, NotFoundError, toDiscoError, ValidationError, WriteLimitError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../observability/metrics.js';
import { healthChecks } from '../observability/readiness.js';
import { bearerAuth } from './auth.js';
import { authRoutes } from './auth-routes.js';
import { docsRouter } from './docs.js';
import { GITHUB_START_PATH, githubRoutes } from './github-routes.js';
import { requestGuards } from './guards.js';
import { API_SECURITY_HEADERS, isApiUrl, rateLimiters, redisLimiterStore, securityHeaderList } from './hardening.js';
import { internalRoutes } from './internal-routes.js';
import { jsonBody, TOO_MANY_MEMBERS } from './json-body.js';
import { oauthRoutes } from './oauth-routes.js';
import { buildOpenApi } from './openapi.js';
import { processStreamRouter } from './process-stream.js';
import { publicRoutes } from './public-routes.js';
import { requestLog, requestLogger } from './request-log.js';
import { opRoutes } from './routes.js';
import { inSequence } from './sequence.js';
import { memoizeClientIp } from './server.js';
import { viewRoutes } from './view-routes.js';
import { workbenchRoutes } from './workbench-routes.js';

export interface AppDeps {
  core: Core;
  log: Logger;
  version: string;
  startedAt: number;
  metrics?: Metrics;
  /** The daemon's per-run local credential, accepted on /mcp only (see auth/local-credential.ts). */
  localCredential?: LocalCredential;
}

/** Request body limit: the largest allowed file, base64-inflated, plus room for the JSON around it. */
const bodyLimit = (writeMaxBytes: number) => Math.ceil(writeMaxBytes * 1.4) + 64 * 1024;

export function createApp(deps: AppDeps): { app: Express; close: () => Promise<void> } {
  const { ops, services, db } = deps.core;
  const { config } = services;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  // Security: X-Forwarded-* (client IP, protocol) are believed only when the operator says a proxy sets them.
  app.set('trust proxy', config.trustProxy);
  memoizeClientIp(app);

  const metrics = deps.metrics;
  // One router layer for the two front-door middlewares every request passes (see inSequence).
  app.use(
    inSequence(
      requestLog(deps.log, {
        headers: securityHeaderList(config),
        api: { headers: API_SECURITY_HEADERS, matches: isApiUrl },
        ...(metrics ? { onErrorCode: (code: string) => metrics.httpError(code) } : {}),
      }),
      requestGuards({
        bindHost: config.host,
        extraHosts: config.allowedHosts,
        allowedOrigins: config.allowedOrigins,
        // OAuth discovery, token, registration and revocation take no cookies: any web client may call them.
        openPath: (p) => p.startsWith('/.well-known/') || /^\/oauth\/(token|register|revoke)$/.test(p),
      }),
    ),
  );
  const limits = rateLimiters(
    config,
    deps.core.shared ? redisLimiterStore(deps.core.shared.redis) : undefined,
    deps.log,
  );
  // Perf: the API is mounted first. Express ends every router a request passes through unmatched with a
  // setImmediate (an event-loop turn each), and the public, discovery and OAuth routers serve no /api/v1 path.
  // Its middlewares are one layer (inSequence) rather than an express Router of five layers: the sign-in
  // routes' router is entered only for paths it could serve (under /auth), and passes the others on as before.
  const authApi = express.Router();
  authApi.use('/auth/github', limits.auth, githubRoutes({ auth: services.auth, as: deps.core.oauth, config }));
  authApi.use('/auth', authRoutes(services.auth, config, limits.auth));
  const body = jsonBody(bodyLimit(config.fileWriteMaxBytes));
  app.use(
    '/api/v1',
    inSequence(
      limits.perIp,
      (req, res, next) => (req.path.toLowerCase().startsWith('/auth') ? authApi(req, res, next) : next()),
      bearerAuth(services.auth, config, 'rest'),
      limits.perUser,
      body,
      opRoutes(ops, services),
      processStreamRouter(services),
    ),
  );
  // Perf: /mcp next, for the same reason: no path under it is served by the routers below.
  const mcp = mcpRouter(deps.core, deps.log, bodyLimit(config.fileWriteMaxBytes));
  app.use(
    '/mcp',
    inSequence(
      limits.perIp,
      bearerAuth(services.auth, config, 'mcp', deps.localCredential),
      limits.perUser,
      mcp.router,
    ),
  );

  app.get('/health', (_req, res) => {
    const { ok, checks } = healthChecks(db, services.sandbox, config);
    res.status(ok ? 200 : 503).json({
      status: ok ? 'ok' : 'degraded',
      version: deps.version,
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
      checks,
    });
  });

  const shared = deps.core.shared;
  app.use(
    publicRoutes({
      ...deps,
      redisPing: shared
        ? async () => {
            if (shared.redis.status !== 'ready')
              throw new Error(shared.health().error ?? `redis is ${shared.redis.status}`);
            await shared.redis.ping();
          }
        : undefined,
    }),
  );

  // Perf: built on first request, not at start (every op's JSON Schema: a fifth of the start-up work).
  let openapi: ReturnType<typeof buildOpenApi> | undefined;
  app.get('/openapi.json', (_req, res) => {
    openapi ??= buildOpenApi(ops, { version: deps.version });
    res.json(openapi);
  });
  app.use('/docs', docsRouter());

  const githubEnabled = config.githubClientId !== undefined;
  if (services.cluster) {
    app.use(internalRoutes(ops, services, services.cluster, deps.log, bodyLimit(config.fileWriteMaxBytes)));
  }
  app.use(
    oauthRoutes({
      as: deps.core.oauth,
      auth: services.auth,
      config,
      log: deps.log,
      limiter: limits.auth,
      ...(githubEnabled
        ? { githubStart: (id: string) => `${GITHUB_START_PATH}?request=${encodeURIComponent(id)}` }
        : {}),
    }),
  );

  // Workbench pages of webcontainer containers (they attach over Socket.IO with their own token).
  if (services.workbench) app.use('/workbench', limits.perIp, workbenchRoutes(config));

  // Citation pages (signed links from search/fetch): for a person's browser, outside the bearer-token API.
  if (services.viewLinks) app.use('/view', limits.perIp, viewRoutes(services, services.viewLinks, deps.log));

  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new NotFoundError(`route ${req.method} ${req.path}`));
  });
  app.use(errorHandler(deps.log, config.fileWriteMaxBytes));
  return { app, close: mcp.close };
}

/**
 * Body-parser failures carry a `type`; map the ones a client can cause to typed errors. The body limit exists
 * for writes (it is the write limit in base64 plus room), so a body over it is content over the write limit,
 * said as the write itself says it.
 */
function fromBodyParser(
  err: { type?: string; limit?: number; message?: string },
  writeMaxBytes: number,
): DiscoError | undefined {
  switch (err.type) {
    case TOO_MANY_MEMBERS:
      return new ValidationError(err.message ?? 'request body is too complex');
    case 'entity.too.large':
      return new WriteLimitError(writeMaxBytes, { requestLimit: err.limit });
    case 'entity.parse.failed':
      return new ValidationError('request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new DiscoError('unsupported_media_type', 'unsupported request body encoding');
    default:
      return undefined;
  }
}

function errorHandler(log: Logger, writeMaxBytes: number) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const known = err instanceof DiscoError ? err : fromBodyParser(err as { type?: string }, writeMaxBytes);
    const error = known ?? toDiscoError(err);
    if (!known) requestLogger(log, res).error({ err }, 'unhandled error');
    res.locals.errorCode = error.code;
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(error.status).json(error.toBody());
  };
}

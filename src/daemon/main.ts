import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DestinationStream } from 'pino';
import { loadMcpSdk } from '../mcp/http.js';
import { removeDaemonRecord, writeDaemonRecord } from '../shared/daemon-record.js';
import { loadJose } from './auth/jose.js';
import { LocalCredential } from './auth/local-credential.js';
import { clientMetadataSchema } from './auth/oauth/clients.js';
import { Cluster } from './cluster/cluster.js';
import type { Config } from './config.js';
import { containersInUse, IdleReaper, inUseInProcess, type UseSources } from './containers/idle-reaper.js';
import { openCore } from './core.js';
import { JobsRepo } from './db/jobs-repo.js';
import type { Db } from './db/open.js';
import { createApp } from './http/app.js';
import { rawRequestGuard } from './http/guards.js';
import { createAppServer } from './http/server.js';
import { storeHooks } from './jobs/hooks.js';
import { buildJobs, idleSweepEveryMs } from './jobs/jobs.js';
import { JobRunner } from './jobs/runner.js';
import { createLogger, type Logger } from './log.js';
import { startHeapTrim } from './observability/heap-trim.js';
import { Metrics } from './observability/metrics.js';
import { startMetricsServer } from './observability/metrics-server.js';
import type { Services } from './ops/services.js';
import { createPreviewProxy, routePreviewsFirst } from './preview/attach.js';
import { installProcessGuard } from './process-guard.js';
import { attachTerminalSockets } from './terminals/socket.js';
import { discoVersion } from './version.js';
import { processLogDir } from './workspace/output-log.js';

export { DB_FILE } from './core.js';

/** How long after listening the MCP SDK is loaded in the background. */
const MCP_PRELOAD_DELAY_MS = 1500;
/** How long after listening the background jobs first look for due work (the lease is taken at once). */
const JOBS_FIRST_TICK_MS = 2500;

export interface Daemon {
  url: string;
  port: number;
  services: Services;
  log: Logger;
  db: Db;
  /** Stops (and, when configured, deletes) idle containers; run by the jobs, callable for tests. */
  reaper: IdleReaper;
  /** Background jobs, run in-process while no `disco worker` holds the lease. */
  jobs: JobRunner;
  metrics: Metrics;
  /** Where `/metrics` is served without a token (DISCO_METRICS_PORT), if anywhere. */
  metricsUrl: string | undefined;
  /** Stops accepting, waits for in-flight requests (bounded), kills processes, closes the database. */
  close(): Promise<void>;
}

export interface StartOptions {
  logDestination?: DestinationStream;
  /** Log and count errors nothing caught instead of exiting (default true); see installProcessGuard. */
  processGuard?: boolean;
}

/** Builds everything from config, in order, and starts listening. Nothing here runs at import time. */
export async function startDaemon(config: Config, options: StartOptions = {}): Promise<Daemon> {
  const startedAt = Date.now();
  const log = createLogger(config.logLevel, options.logDestination);
  const core = await openCore(config, log, { bootstrapToken: true });
  const { db, services } = core;
  if (core.shared && config.jwtSecret) services.cluster = new Cluster(core.shared.redis, config.jwtSecret, log);
  let uninstallGuard = () => {};
  try {
    const metrics = new Metrics({
      containersByStatus: () => services.containers.countByStatus(),
      poolAvailable: () => services.containers.poolAvailable(),
      runningProcesses: () => services.processes.count(),
      openTerminals: () => services.terminals.list(undefined).filter((t) => t.running).length,
      ...(services.sandboxes ? { liveSandboxes: () => services.sandboxes?.stats() ?? { live: 0, max: 0 } } : {}),
      ...(core.shared
        ? {
            redisUp: async () => {
              await core.shared?.redis.ping();
              return true;
            },
          }
        : {}),
    });
    services.observer = metrics;
    services.egress.observer = metrics;
    if (options.processGuard !== false)
      uninstallGuard = installProcessGuard(log, (kind) => metrics.uncaughtError(kind));
    const stopHeapTrim = startHeapTrim();
    // The local admin's credential for `disco mcp` on this home (memory and the run record only).
    const localCredential = new LocalCredential(core.admin);
    const { app, close: closeMcp } = createApp({
      core,
      log,
      version: discoVersion(),
      startedAt,
      metrics,
      localCredential,
    });
    const server = await listen(app, config.host, config.port);
    const metricsServer =
      config.metricsPort === undefined ? undefined : await startMetricsServer(metrics, config.metricsPort);
    const previewProxy = createPreviewProxy(services, log);
    // A preview WebSocket open (live reload someone watches) keeps a sandbox from being evicted.
    services.sandboxes?.bound?.alsoInUse((id) => previewProxy.openContainers().has(id));
    const inUse: UseSources = {
      processes: services.processManager,
      terminals: services.terminals,
      ...(services.workbench ? { workbench: services.workbench } : {}),
      previews: previewProxy,
    };
    const reaper = new IdleReaper(
      services.containers,
      inUseInProcess(inUse),
      { stopAfterMs: config.idleStopMinutes * 60_000, deleteAfterMs: config.idleDeleteHours * 3_600_000 },
      log,
    );
    const jobsRepo = new JobsRepo(db);
    const jobs = new JobRunner(
      jobsRepo,
      buildJobs({
        reaper,
        repo: jobsRepo,
        idleEveryMs: idleSweepEveryMs(config.idleStopMinutes),
        hooks: storeHooks(db, processLogDir(config.home)),
      }),
      {
        kind: 'daemon',
        tickMs: 5_000,
        leaseTtlMs: 30_000,
        onRun: (job, ok) => metrics.jobDone(job, ok),
        // Off the start path: the first jobs (PRAGMA optimize, a WAL checkpoint, the sweeps) run a moment
        // after the daemon answers, not between listening and its first answer.
        firstTickMs: JOBS_FIRST_TICK_MS,
      },
      log,
    );
    jobs.start();
    // `disco worker` sees none of this daemon's use (commands waited for, terminal clients, pages, preview
    // sockets): a container in use is marked used often enough that no sweep finds it idle.
    const beacon = setInterval(
      () => {
        try {
          for (const id of containersInUse(inUse)) services.containers.markUsed(id);
        } catch (err) {
          log.warn({ err }, 'cannot mark the containers in use as used'); // SQLITE_FULL: next time
        }
      },
      config.idleStopMinutes === 0 ? 60_000 : Math.min(60_000, (config.idleStopMinutes * 60_000) / 3),
    );
    beacon.unref();
    const sockets = attachTerminalSockets(server, {
      services,
      log,
      guard: rawRequestGuard({
        bindHost: config.host,
        extraHosts: config.allowedHosts,
        allowedOrigins: config.allowedOrigins,
      }),
    });
    routePreviewsFirst(server, previewProxy);
    services.containers.onLifecycle((id) => previewProxy.dropContainer(id));
    const { port } = server.address() as AddressInfo;
    services.egress.protectPort(port);
    if (metricsServer) services.egress.protectPort(Number(new URL(metricsServer.url).port));
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
    if (services.workbench) services.workbench.baseUrl = url;
    await services.cluster?.start(config.instanceUrl ?? url);
    const record = await advertise(config.home, url, localCredential, log);
    log.info(
      { url, home: config.home, adminToken: core.adminToken?.source, startupMs: Date.now() - startedAt },
      'disco listening',
    );
    // Off the start path: the MCP SDK loads a moment after the daemon answers (or with the first /mcp call).
    // Not at once: compiling it blocks the event loop for a while, and the first requests (health checks
    // of whoever started the daemon) come right after it listens.
    // The OAuth client metadata schema (the SDK's auth module), jose (JWTs: see auth/jose.ts) and node-pty
    // come with it, so the first registration, access token and terminal outside a sandbox do not wait.
    // prom-client too: what is counted until then waits in Metrics (see there).
    setTimeout(() => {
      try {
        metrics.warm();
      } catch (err) {
        log.warn({ err }, 'cannot load prom-client');
      }
      void loadMcpSdk()
        .then(() => Promise.all([clientMetadataSchema(), loadJose(), import('./terminals/local-pty.js')]))
        .catch((err: unknown) => log.warn({ err }, 'cannot load the MCP SDK'));
    }, MCP_PRELOAD_DELAY_MS).unref();

    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= (async () => {
        log.info('shutting down');
        // First: a `disco mcp` started from now on runs in-process instead of relaying to a daemon going away.
        if (record) await removeDaemonRecord(record);
        // MCP SSE streams are long-lived: end them first so they do not hold the grace period.
        clearInterval(beacon);
        stopHeapTrim();
        await jobs.stop();
        await metricsServer?.close();
        await services.cluster?.stop();
        await closeMcp();
        await sockets.close();
        previewProxy.close();
        await stopServer(server, config.shutdownGraceMs);
        const killed = services.processes.count();
        await core.close();
        log.info({ killed }, 'stopped');
        uninstallGuard();
        await new Promise<void>((resolve) => log.flush(() => resolve()));
      })();
      return closing;
    };
    return { url, port, services, log, db, reaper, jobs, metrics, metricsUrl: metricsServer?.url, close };
  } catch (err) {
    uninstallGuard();
    await core.close();
    throw err;
  }
}

/**
 * Writes this daemon's run record (`$DISCO_HOME/run/daemon-<pid>-<random>.json`: its URL and local credential), so
 * `disco mcp` on this home relays here instead of opening a second core. Without it `disco mcp` runs
 * in-process, as before: a warning, not a failure.
 */
async function advertise(home: string, url: string, credential: LocalCredential, log: Logger) {
  const u = new URL(url);
  if (u.hostname === '[::]') u.hostname = '[::1]';
  try {
    return await writeDaemonRecord(home, {
      pid: process.pid,
      url: u.origin,
      credential: credential.secret,
      startedAt: new Date().toISOString(),
    });
  } catch (err) {
    log.warn({ err }, 'cannot write the run record: `disco mcp` on this home will not find this daemon');
    return undefined;
  }
}

function listen(app: ReturnType<typeof createApp>['app'], host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createAppServer(app);
    server.listen(port, host);
    server.once('listening', () => resolve(server));
    server.once('error', reject);
  });
}

/**
 * Stops accepting; keep-alive sockets are closed as soon as they go idle (so finished requests do not hold
 * shutdown), busy ones get `graceMs` to finish before they are cut.
 */
function stopServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const idle = setInterval(() => server.closeIdleConnections(), 25);
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      clearInterval(idle);
      resolve();
    });
    server.closeIdleConnections();
  });
}

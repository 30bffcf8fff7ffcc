import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DestinationStream } from 'pino';
import type { Config } from './config.js';
import { Cluster } from './cluster/cluster.js';
import { IdleReaper } from './containers/idle-reaper.js';
import { openCore } from './core.js';
import type { Db } from './db/open.js';
import { createApp } from './http/app.js';
import { rawRequestGuard } from './http/guards.js';
import { createLogger, type Logger } from './log.js';
import type { Services } from './ops/services.js';
import { attachTerminalSockets } from './terminals/socket.js';
import { discoVersion } from './version.js';

export { DB_FILE } from './core.js';

export interface Daemon {
  url: string;
  port: number;
  services: Services;
  log: Logger;
  db: Db;
  /** Stops (and, when configured, deletes) idle containers; runs on a timer, callable for tests. */
  reaper: IdleReaper;
  /** Stops accepting, waits for in-flight requests (bounded), kills processes, closes the database. */
  close(): Promise<void>;
}

export interface StartOptions {
  logDestination?: DestinationStream;
}

/** Builds everything from config, in order, and starts listening. Nothing here runs at import time. */
export async function startDaemon(config: Config, options: StartOptions = {}): Promise<Daemon> {
  const startedAt = Date.now();
  const log = createLogger(config.logLevel, options.logDestination);
  const core = await openCore(config, log);
  const { db, services } = core;
  if (core.shared && config.jwtSecret) services.cluster = new Cluster(core.shared.redis, config.jwtSecret, log);
  try {
    const { app, close: closeMcp } = createApp({ core, log, version: discoVersion(), startedAt });
    const server = await listen(app, config.host, config.port);
    const reaper = new IdleReaper(
      services.containers,
      services.processManager,
      services.terminals,
      { stopAfterMs: config.idleStopMinutes * 60_000, deleteAfterMs: config.idleDeleteHours * 3_600_000 },
      log,
    );
    reaper.start(Math.min(60_000, Math.max(1000, (config.idleStopMinutes * 60_000) / 4)));
    const sockets = attachTerminalSockets(server, {
      services,
      log,
      guard: rawRequestGuard({
        bindHost: config.host,
        extraHosts: config.allowedHosts,
        allowedOrigins: config.allowedOrigins,
      }),
    });
    const { port } = server.address() as AddressInfo;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
    await services.cluster?.start(config.instanceUrl ?? url);
    log.info(
      { url, home: config.home, adminToken: core.adminToken.source, startupMs: Date.now() - startedAt },
      'disco listening',
    );

    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= (async () => {
        log.info('shutting down');
        // MCP SSE streams are long-lived: end them first so they do not hold the grace period.
        await reaper.stop();
        await services.cluster?.stop();
        await closeMcp();
        await sockets.close();
        await stopServer(server, config.shutdownGraceMs);
        const killed = services.processes.count();
        await core.close();
        log.info({ killed }, 'stopped');
        await new Promise<void>((resolve) => log.flush(() => resolve()));
      })();
      return closing;
    };
    return { url, port, services, log, db, reaper, close };
  } catch (err) {
    await core.close();
    throw err;
  }
}

function listen(app: ReturnType<typeof createApp>['app'], host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
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

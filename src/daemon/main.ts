import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { DestinationStream } from 'pino';
import { ensureAdminToken } from './auth/admin-token.js';
import type { Config } from './config.js';
import { ContainerService } from './containers/service.js';
import { ContainersRepo } from './db/containers-repo.js';
import { type Db, openDatabase } from './db/open.js';
import { UsersRepo } from './db/users-repo.js';
import { createApp } from './http/app.js';
import { adminTokenVerifier } from './http/auth.js';
import { createLogger, type Logger } from './log.js';
import { OPS } from './ops/index.js';
import type { Op } from './ops/op.js';
import type { Services } from './ops/services.js';
import { discoVersion } from './version.js';
import { WorkspaceFiles } from './workspace/files.js';
import { ProcessTable } from './workspace/process-table.js';

export const DB_FILE = 'disco.db';

export interface Daemon {
  url: string;
  port: number;
  services: Services;
  log: Logger;
  db: Db;
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
  await mkdir(config.home, { recursive: true, mode: 0o700 });
  const db = openDatabase(path.join(config.home, DB_FILE));
  try {
    const admin = new UsersRepo(db).ensureAdmin();
    const { token, source } = await ensureAdminToken(config.home, config.adminToken);
    const processes = new ProcessTable();
    const containers = new ContainerService(new ContainersRepo(db), config.containersDir, processes, log);
    await containers.init();
    const services: Services = {
      config,
      containers,
      files: new WorkspaceFiles({ readMaxBytes: config.fileReadMaxBytes, writeMaxBytes: config.fileWriteMaxBytes }),
      processes,
    };
    const app = createApp({
      ops: OPS as unknown as readonly Op[],
      services,
      db,
      log,
      version: discoVersion(),
      startedAt,
      verifyToken: adminTokenVerifier(token, admin.id),
    });
    const server = await listen(app, config.host, config.port);
    const { port } = server.address() as AddressInfo;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
    log.info({ url, home: config.home, adminToken: source, startupMs: Date.now() - startedAt }, 'disco listening');

    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= (async () => {
        log.info('shutting down');
        await stopServer(server, config.shutdownGraceMs);
        const killed = processes.killAll();
        db.close();
        log.info({ killed }, 'stopped');
        await new Promise<void>((resolve) => log.flush(() => resolve()));
      })();
      return closing;
    };
    return { url, port, services, log, db, close };
  } catch (err) {
    db.close();
    throw err;
  }
}

function listen(app: ReturnType<typeof createApp>, host: string, port: number): Promise<Server> {
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

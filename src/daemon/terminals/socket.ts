import { EventEmitter } from 'node:events';
import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket, Server as SocketServer } from 'socket.io';
import { z } from 'zod';
import { bearerOf, publicBaseUrl, realmFor } from '../auth/realm.js';
import { DiscoError, ForbiddenError, toDiscoError, UnauthorizedError } from '../errors.js';
import type { Logger } from '../log.js';
import { parseInput } from '../ops/input.js';
import type { Principal } from '../ops/op.js';
import type { Services } from '../ops/services.js';
import { attachWorkbenchNamespace, MAX_PAGE_MESSAGE_BYTES, WORKBENCH_NAMESPACE } from '../webcontainer/socket.js';
import { resolveInWorkspace } from '../workspace/paths.js';
import { boundedParser } from './socket-parser.js';
import type { Terminal } from './terminal.js';

/** Socket.IO namespace of interactive terminals. */
export const TERMINALS_NAMESPACE = '/terminals';

const size = { cols: z.number().int().min(2).max(1000), rows: z.number().int().min(1).max(500) };
const OpenInput = z.object({
  container: z.string().min(1).max(128),
  command: z.array(z.string().max(4096)).min(1).max(256).optional(),
  cwd: z.string().max(4096).default('.'),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().max(32_768)).default({}),
  cols: size.cols.default(80),
  rows: size.rows.default(24),
});
const AttachInput = z.object({ id: z.string().min(1).max(64), since: z.number().int().min(0).optional() });
const InputInput = z.object({ id: z.string().min(1).max(64), data: z.string().max(64 * 1024) });
const ResizeInput = z.object({ id: z.string().min(1).max(64), ...size });
const IdInput = z.object({ id: z.string().min(1).max(64) });

type Ack = (reply: Record<string, unknown>) => void;

/** How often a connection that sends nothing checks that its token is still live. */
const LIVENESS_CHECK_MS = 30_000;

/**
 * Terminals over Socket.IO (namespace `/terminals`). The client sends `open`, `attach`, `input`,
 * `resize`, `detach` and `close` with an acknowledgement callback; the server sends `output`
 * ({id, data, offset}) and `exit`. Security: the handshake passes the same Host/Origin guard as HTTP
 * and needs a bearer token (`auth.token` or `Authorization`) with the `exec` scope; a socket only
 * ever sees its user's terminals.
 */
export function attachTerminalSockets(
  server: HttpServer,
  deps: {
    services: Services;
    guard: (req: IncomingMessage) => DiscoError | undefined;
    log: Logger;
  },
): { close: () => Promise<void> } {
  // Perf: Socket.IO (with engine.io and ws) is a large module graph: it loads with the first request on its
  // path, not at start. Until then this listener holds its place in front of express, exactly where
  // engine.io's own would be; Socket.IO then attaches to a stand-in server that this listener feeds.
  const PATH = '/socket.io/';
  const ours = (req: IncomingMessage) => (req.url ?? '').slice(0, PATH.length) === PATH;
  const stand = new EventEmitter();
  let io: SocketServer | undefined;
  let loading: Promise<SocketServer> | undefined;
  const load = () => {
    loading ??= import('socket.io').then(({ Server }) => {
      io = createSocketServer(Server, stand, deps);
      return io;
    });
    return loading;
  };
  const fail = (err: unknown) => deps.log.error({ err }, 'cannot load Socket.IO');
  const rest = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!ours(req)) {
      for (const l of rest) l.call(server, req, res);
      return;
    }
    if (io) {
      stand.emit('request', req, res);
      return;
    }
    load().then(
      () => stand.emit('request', req, res),
      (err: unknown) => {
        fail(err);
        res.statusCode = 503;
        res.end();
      },
    );
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (ours(req)) {
      load().then(
        () => stand.emit('upgrade', req, socket, head),
        (err: unknown) => {
          fail(err);
          socket.destroy();
        },
      );
      return;
    }
    // What engine.io does with an upgrade nobody handles: end the connection unless something answered.
    socket.on('error', () => {});
    setTimeout(() => {
      if (socket.writable && (socket as Duplex & { bytesWritten?: number }).bytesWritten === 0) socket.end();
    }, 1000).unref();
  });
  return {
    close: async () => {
      const loaded = io;
      if (!loaded) return;
      // Detach every socket first; io.close() would also close the HTTP server, which main.ts does itself.
      loaded.of(TERMINALS_NAMESPACE).disconnectSockets(true);
      loaded.of(WORKBENCH_NAMESPACE).disconnectSockets(true);
      loaded.engine.close();
    },
  };
}

function createSocketServer(
  Server: typeof SocketServer,
  stand: EventEmitter,
  deps: { services: Services; guard: (req: IncomingMessage) => DiscoError | undefined; log: Logger },
): SocketServer {
  // engine.io attaches to the stand-in: it takes its `request` and `upgrade` events (the requests above).
  const io = new Server({
    serveClient: false,
    // A workbench page's file frame is the largest message (terminal input is capped far below it).
    maxHttpBufferSize: MAX_PAGE_MESSAGE_BYTES,
    parser: boundedParser,
    allowRequest: (req, callback) => {
      const err = deps.guard(req);
      callback(err ? err.message : null, !err);
    },
  });
  io.attach(stand as unknown as HttpServer);
  const nsp = io.of(TERMINALS_NAMESPACE);
  nsp.use(async (socket, next) => {
    const header = bearerOf(socket.handshake.headers.authorization);
    const token = typeof socket.handshake.auth.token === 'string' ? socket.handshake.auth.token : header;
    const fail = (error: DiscoError) => next(Object.assign(new Error(error.message), { data: error.toBody().error }));
    if (!token) return fail(new UnauthorizedError('a bearer token is required (auth.token)'));
    const realm = realmFor(publicBaseUrl(socket.request, deps.services.config), 'socket');
    try {
      const principal = await deps.services.auth.authenticate(token, realm);
      if (!principal.scopes.has('exec') && !principal.scopes.has('admin')) {
        return fail(new ForbiddenError("the 'exec' scope is required for terminals"));
      }
      principal.from = { ip: socket.handshake.address, userAgent: socket.handshake.headers['user-agent'] };
      socket.data.principal = principal;
      next();
    } catch (err) {
      fail(err instanceof DiscoError ? err : new UnauthorizedError('invalid bearer token'));
    }
  });
  nsp.on('connection', (socket) => handleSocket(socket, deps.services, deps.log));
  const { workbench } = deps.services;
  if (workbench) {
    attachWorkbenchNamespace(io.of(WORKBENCH_NAMESPACE), {
      hub: workbench,
      containers: deps.services.containers,
      config: deps.services.config,
      log: deps.log,
      filesChanged: (c) => deps.services.rag.changed(c),
    });
  }
  return io;
}

function handleSocket(socket: Socket, services: Services, log: Logger): void {
  const principal = socket.data.principal as Principal;
  const terminals = services.terminals;
  const attached = new Map<string, () => void>();

  const attach = (t: Terminal, since: number | undefined) => {
    attached.get(t.id)?.();
    const onOutput = (data: string, offset: number) => socket.emit('output', { id: t.id, data, offset });
    const onExit = () => socket.emit('exit', { id: t.id, exitCode: t.exitCode, signal: t.signal });
    t.on('output', onOutput);
    t.once('exit', onExit);
    t.attached++;
    t.aloneSince = undefined;
    attached.set(t.id, () => {
      t.off('output', onOutput);
      t.off('exit', onExit);
      attached.delete(t.id);
      t.attached--;
      if (t.attached === 0) t.aloneSince = Date.now();
    });
    const scrollback = t.read(since);
    if (!t.running) queueMicrotask(onExit);
    return { terminal: t.info(), data: scrollback.data, from: scrollback.from, offset: scrollback.offset };
  };

  const touch = async (t: Terminal) => {
    const c = await services.containers.get(principal.userId, t.spec.containerId);
    services.containers.touch(c);
  };

  // Security: the connection was authenticated once, at its handshake; a token revoked since (a PAT, a
  // session, every token of the user) must not keep opening terminals and typing into them. Each event first
  // checks that it is still live, in the order the events came (so keystrokes stay in order), and a timer
  // ends a connection that only reads.
  let checks: Promise<void> = Promise.resolve();
  const live = async () => {
    if (await services.auth.stillLive(principal)) return;
    setImmediate(() => socket.disconnect()); // after the refusal has gone out
    throw new UnauthorizedError('the token of this connection was revoked or has expired');
  };
  const checked = () => {
    checks = checks.then(live);
    return checks;
  };
  const recheck = setInterval(() => void checked().catch(() => {}), LIVENESS_CHECK_MS);
  recheck.unref();

  /** Runs a handler; its result or typed error goes to the acknowledgement. */
  const on = <S extends z.ZodObject>(event: string, schema: S, handler: (input: z.output<S>) => unknown) => {
    socket.on(event, async (raw: unknown, ack?: Ack) => {
      try {
        await checked();
        const result = await handler(parseInput(schema, raw));
        if (typeof ack === 'function') ack({ ok: true, ...(result as object) });
      } catch (err) {
        const e = toDiscoError(err);
        if (!(err instanceof DiscoError)) log.error({ err, event }, 'terminal handler failed');
        if (typeof ack === 'function') ack({ ok: false, ...e.toBody() });
        else socket.emit('error_reply', { event, ...e.toBody() });
      }
    });
  };

  on('open', OpenInput, async (input) => {
    const c = await services.containers.get(principal.userId, input.container);
    // A webcontainer container's terminal runs in its page, not on this host.
    if (c.runtime !== 'webcontainer') services.sandbox.assertMayRun(principal, 'a terminal');
    services.containers.touch(c);
    const cwd = await resolveInWorkspace(c.root, input.cwd);
    const t = await terminals.open({
      containerId: c.id,
      ownerId: principal.userId,
      root: c.root,
      cwdAbs: cwd.abs,
      network: c.network,
      command: input.command,
      cols: input.cols,
      rows: input.rows,
      env: input.env,
    });
    return attach(t, 0);
  });
  on('attach', AttachInput, ({ id, since }) => attach(terminals.get(principal.userId, id), since));
  on('input', InputInput, async ({ id, data }) => {
    const t = terminals.get(principal.userId, id);
    const refused = terminals.input(t, data);
    void touch(t).catch(() => {});
    if (refused) {
      services.auth.audit({
        userId: principal.userId,
        action: 'terminal_input',
        target: t.spec.containerId,
        outcome: 'denied',
        via: principal.via,
        ip: principal.from?.ip ?? null,
        userAgent: principal.from?.userAgent ?? null,
        detail: { terminal: t.id, error: refused.code, rule: refused.details?.rule },
      });
      throw refused;
    }
    return {};
  });
  on('resize', ResizeInput, ({ id, cols, rows }) => {
    terminals.get(principal.userId, id).resize(cols, rows);
    return {};
  });
  on('detach', IdInput, ({ id }) => {
    terminals.get(principal.userId, id);
    attached.get(id)?.();
    return {};
  });
  on('close', IdInput, ({ id }) => {
    terminals.close(terminals.get(principal.userId, id));
    return {};
  });
  socket.on('disconnect', () => {
    clearInterval(recheck);
    for (const detach of [...attached.values()]) detach();
  });
}

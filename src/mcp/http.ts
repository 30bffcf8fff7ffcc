import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Request, RequestHandler, Response } from 'express';
import { proxyRequest } from '../daemon/cluster/proxy.js';
import type { Core } from '../daemon/core.js';
import { UnauthorizedError } from '../daemon/errors.js';
import { jsonParser } from '../daemon/http/json-body.js';
import type { Logger } from '../daemon/log.js';
import type { Principal } from '../daemon/ops/op.js';
import type { McpCallContext } from './context.js';
import { DirectJson, type DirectSdk } from './direct.js';
import { BoundedEventStore } from './event-store.js';
import { settleJsonStreams } from './json-streams.js';

/**
 * Perf: the MCP SDK (with its JSON Schema validator) is a third of the daemon's imports; it is loaded in the
 * background once the daemon listens, or by the first /mcp request if that comes sooner, not on the start path.
 */
let sdk:
  | Promise<{
      StreamableHTTPServerTransport: typeof StreamableHTTPServerTransport;
      isInitializeRequest: typeof import('@modelcontextprotocol/sdk/types.js').isInitializeRequest;
      direct: DirectSdk;
      buildMcpServer: typeof import('./server.js').buildMcpServer;
    }>
  | undefined;
export const loadMcpSdk = () => {
  sdk ??= Promise.all([
    import('@modelcontextprotocol/sdk/server/streamableHttp.js'),
    import('@modelcontextprotocol/sdk/types.js'),
    import('./server.js'),
  ]).then(([transport, types, server]) => ({
    StreamableHTTPServerTransport: transport.StreamableHTTPServerTransport,
    isInitializeRequest: types.isInitializeRequest,
    direct: {
      JSONRPCRequestSchema: types.JSONRPCRequestSchema,
      SUPPORTED_PROTOCOL_VERSIONS: types.SUPPORTED_PROTOCOL_VERSIONS,
    },
    buildMcpServer: server.buildMcpServer,
  }));
  return sdk;
};

/**
 * Perf: a call nobody follows — no progress token — is answered with one JSON body instead of an SSE stream
 * (the spec lets the server choose per request). Calls that carry a progress token keep the stream, with
 * progress notifications and resumption (Last-Event-ID). The SDK's transport takes one mode per transport,
 * so the mode of the request being served is looked up in this async context.
 */
const jsonMode = new AsyncLocalStorage<boolean>();

/** True when no message of a POST body asks for progress. */
export function isPlainCall(body: unknown): boolean {
  const messages: unknown[] = Array.isArray(body) ? body : [body];
  return messages.every((m) => {
    const meta = (m as { params?: { _meta?: { progressToken?: unknown } } } | null)?.params?._meta;
    return meta?.progressToken === undefined;
  });
}

/** Makes a session transport answer each POST in the mode jsonMode holds for it (SSE outside any). */
function perRequestMode(transport: StreamableHTTPServerTransport): void {
  const web = (transport as unknown as { _webStandardTransport?: object })._webStandardTransport;
  if (!web || !('_enableJsonResponse' in web)) return; // an SDK without the field: SSE for every call
  Object.defineProperty(web, '_enableJsonResponse', {
    get: () => jsonMode.getStore() ?? false,
    set: () => {},
    configurable: true,
  });
}

const serve = (transport: StreamableHTTPServerTransport, req: Request, res: Response) =>
  jsonMode.run(req.method === 'POST' && isPlainCall(req.body), () => transport.handleRequest(req, res, req.body));

interface Session {
  transport: StreamableHTTPServerTransport;
  /** Plain calls answered without the Web Request/Response conversion (DISCO_MCP_DIRECT_JSON). */
  direct: DirectJson | undefined;
  userId: string;
  lastSeen: number;
}

const SESSION_IDLE_MS = 30 * 60_000;
/**
 * Open sessions one user may hold; opening one more closes their least recently used (its client gets 404
 * and initializes again, as the spec has clients do). Each session holds a server with every tool and an
 * event store (up to 2 MiB), so without a bound a client that never deletes its sessions grows the daemon
 * for 30 minutes per session.
 */
export const MAX_SESSIONS_PER_USER = 100;

/** The ids of `userId`'s sessions beyond the newest `max` by last use (the ones to close). */
export function sessionsOverBound(
  sessions: ReadonlyMap<string, { userId: string; lastSeen: number }>,
  userId: string,
  max: number,
): string[] {
  const own = [...sessions].filter(([, s]) => s.userId === userId);
  if (own.length <= max) return [];
  own.sort(([, a], [, b]) => a.lastSeen - b.lastSeen);
  return own.slice(0, own.length - max).map(([id]) => id);
}

function rpcError(res: Response, status: number, code: number, message: string): void {
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

/**
 * Streamable HTTP at /mcp: POST for requests, GET for the server's SSE stream, DELETE to end a session.
 * Sessions belong to the user who opened them; in stateless mode, and for a POST that carries no session id
 * and is not an initialize, a request gets its own server.
 * Auth, Host and Origin checks run before this router (the same ones as REST).
 */
export function mcpRouter(
  core: Core,
  log: Logger,
  bodyLimit: number,
): { router: RequestHandler; close: () => Promise<void> } {
  const { config, cluster } = core.services;
  const sessions = new Map<string, Session>();

  const contextFor = (baseUrl: string): McpCallContext => ({
    services: core.services,
    log,
    baseUrlOf: () => baseUrl,
    principalOf: (extra) => {
      const principal = extra.authInfo?.extra?.principal as Principal | undefined;
      if (!principal) throw new UnauthorizedError();
      return principal;
    },
  });

  const attachAuth = (req: Request, res: Response) => {
    const principal = res.locals.principal as Principal;
    (req as Request & { auth?: unknown }).auth = {
      token: 'redacted',
      clientId: principal.userId,
      scopes: [...principal.scopes],
      extra: { principal },
    };
    return principal;
  };
  const baseUrlOf = (req: Request) => config.publicUrl ?? `${req.protocol}://${req.get('host')}`;

  const handleStateless = async (req: Request, res: Response) => {
    const { buildMcpServer, StreamableHTTPServerTransport } = await loadMcpSdk();
    const server = buildMcpServer(core.ops, contextFor(baseUrlOf(req)));
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: req.method === 'POST' && isPlainCall(req.body),
    });
    res.once('close', () => {
      transport.close().catch(() => {});
      server.close().catch(() => {});
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  };

  const handleStateful = async (req: Request, res: Response, principal: Principal) => {
    const { buildMcpServer, isInitializeRequest, StreamableHTTPServerTransport, direct } = await loadMcpSdk();
    const sessionId = req.get('mcp-session-id');
    if (sessionId) {
      const session = sessions.get(sessionId);
      // The local credential (`disco mcp`'s relay) is this process's alone: its sessions are never looked
      // for on another instance, nor is it carried there.
      if (!session && cluster && principal.via !== 'local') {
        // Opened on another instance: that instance serves it (any instance can take any request).
        const where = await cluster.sessionHome(`mcp-session:${sessionId}`);
        if (where) return proxyRequest(req, res, where.url, req.method === 'POST' ? req.body : undefined);
      }
      // Another user's session id is answered exactly like an unknown one.
      if (!session || session.userId !== principal.userId) return rpcError(res, 404, -32001, 'Session not found');
      session.lastSeen = Date.now();
      cluster?.claim(`mcp-session:${sessionId}`, SESSION_IDLE_MS);
      if (session.direct?.serve(req, res, (req as Request & { auth?: unknown }).auth)) return;
      return serve(session.transport, req, res);
    }
    // A request with no session id that is not an initialize: served sessionless, by a server of its own
    // (clients that keep no session, and the stateless direction of the protocol). Streams need a session.
    if (req.method === 'POST' && !isInitializeRequest(req.body)) return handleStateless(req, res);
    if (req.method !== 'POST') {
      return rpcError(res, 400, -32000, 'Bad Request: no valid Mcp-Session-Id; start with an initialize request');
    }
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      eventStore: new BoundedEventStore(),
      // Tells clients how soon to reconnect after the server closes an SSE stream (SEP-1699 polling).
      retryInterval: 1000,
      onsessioninitialized: (id) => {
        sessions.set(id, {
          transport,
          direct: config.mcpDirectJson ? DirectJson.install(transport, direct) : undefined,
          userId: principal.userId,
          lastSeen: Date.now(),
        });
        for (const old of sessionsOverBound(sessions, principal.userId, MAX_SESSIONS_PER_USER)) {
          const evicted = sessions.get(old);
          sessions.delete(old);
          evicted?.transport.close().catch(() => {});
          log.info({ mcpSession: old, userId: principal.userId }, 'mcp session closed: too many open');
        }
        cluster?.claim(`mcp-session:${id}`, SESSION_IDLE_MS);
        log.info({ mcpSession: id, userId: principal.userId }, 'mcp session opened');
      },
      onsessionclosed: (id) => {
        sessions.delete(id);
        log.info({ mcpSession: id }, 'mcp session closed');
      },
    });
    perRequestMode(transport);
    settleJsonStreams(transport);
    const server = buildMcpServer(core.ops, contextFor(baseUrlOf(req)));
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
      server.close().catch(() => {});
    };
    await server.connect(transport);
    await serve(transport, req, res);
  };

  // Perf: one handler for /mcp itself, not an express Router with a route (a router and a route layer cost
  // a dispatch each per call); the same JSON body parser.
  const json = jsonParser(bodyLimit);
  const handle = async (req: Request, res: Response) => {
    const principal = attachAuth(req, res);
    if (config.mcpStateless) await handleStateless(req, res);
    else await handleStateful(req, res, principal);
  };
  const router: RequestHandler = (req, res, next) => {
    if (req.path !== '/') return next();
    json(req, res, (err?: unknown) => {
      // A body that is not JSON is a JSON-RPC parse error (-32700), as the SDK answers it, not a REST error body.
      if ((err as { type?: string } | undefined)?.type === 'entity.parse.failed') {
        return rpcError(res, 400, -32700, 'Parse error: the request body is not valid JSON');
      }
      if (err) return next(err);
      handle(req, res).catch(next);
    });
  };

  const sweeper = setInterval(() => {
    const cutoff = Date.now() - SESSION_IDLE_MS;
    for (const [id, s] of sessions) {
      if (s.lastSeen < cutoff) {
        sessions.delete(id);
        s.transport.close().catch(() => {});
      }
    }
  }, 60_000);
  sweeper.unref();

  return {
    router,
    close: async () => {
      clearInterval(sweeper);
      await Promise.all([...sessions.values()].map((s) => s.transport.close().catch(() => {})));
      sessions.clear();
    },
  };
}

import { createServer, IncomingMessage, type Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Express } from 'express';
import { fairDispatch } from './fair-dispatch.js';

/**
 * The daemon's HTTP server for an express app, with requests and responses born with the app's prototypes.
 * Perf: express's `app.handle` moves every request and response onto its own prototypes with
 * `Object.setPrototypeOf`, which sends V8's inline caches for those objects (in express and in node's http
 * internals alike) down their slow paths for the rest of the request: about 100 µs per request here, a third
 * of a small authenticated read. Objects that already have those prototypes make that call a no-op (V8
 * returns early when the prototype is unchanged). Nothing else changes: the prototypes are the ones express
 * would set, and node's own constructors build the objects.
 *
 * The constructors are plain functions calling node's (`Reflect.construct` measured slower than express's
 * own swap). Should a node version make them classes, which cannot be called so, the server is the plain one.
 *
 * Requests reach the app through `fairDispatch`, in arrival order and a short slice per event-loop turn, so a
 * connection opened while the daemon is busy is accepted in one short turn.
 */
export function createAppServer(app: Express): Server {
  const listener = fairDispatch(app);
  if (!callable(IncomingMessage) || !callable(ServerResponse)) return createServer(listener);
  function DiscoRequest(this: IncomingMessage, socket: Socket) {
    IncomingMessage.call(this, socket);
  }
  DiscoRequest.prototype = app.request;
  function DiscoResponse(this: ServerResponse, req: IncomingMessage, options?: object) {
    (ServerResponse as unknown as (this: ServerResponse, ...args: unknown[]) => void).call(this, req, options);
  }
  DiscoResponse.prototype = app.response;
  return createServer(
    {
      IncomingMessage: DiscoRequest as unknown as typeof IncomingMessage,
      ServerResponse: DiscoResponse as unknown as typeof ServerResponse,
    },
    listener,
  );
}

/** A constructor written as a function (callable with `this`), not a class. */
const callable = (ctor: unknown) =>
  typeof ctor === 'function' && !/^class\b/.test(Function.prototype.toString.call(ctor));

const CLIENT_IP = Symbol('disco.clientIp');

/**
 * `req.ip`, worked out once per request. Perf: express derives it on every read (X-Forwarded-For parsed and
 * walked through the trust function), and a request reads it at least twice (the per-address rate limit, the
 * caller's audit address). The trust setting and the headers do not change during a request, so the first
 * answer is the answer.
 */
export function memoizeClientIp(app: Express): void {
  const derive = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(app.request), 'ip')?.get;
  if (!derive) return;
  Object.defineProperty(app.request, 'ip', {
    configurable: true,
    enumerable: true,
    get(this: IncomingMessage & { [CLIENT_IP]?: string | undefined }) {
      if (!(CLIENT_IP in this)) this[CLIENT_IP] = derive.call(this) as string | undefined;
      return this[CLIENT_IP];
    },
  });
}

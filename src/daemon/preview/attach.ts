import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { publicBaseUrl } from '../auth/realm.js';
import { hostCheck } from '../http/guards.js';
import type { Logger } from '../log.js';
import type { Services } from '../ops/services.js';
import { PreviewProxy } from './proxy.js';

export function createPreviewProxy(services: Services, log: Logger): PreviewProxy {
  const { config } = services;
  return new PreviewProxy({
    net: services.nets,
    previews: services.previews,
    container: (id) => services.containers.row(id),
    used: (c) => services.containers.touch(c),
    hostGuard: hostCheck(config.host, config.allowedHosts),
    protoOf: (req) => (publicBaseUrl(req, config).startsWith('https:') ? 'https' : 'http'),
    log,
  });
}

type Listener = (...args: unknown[]) => void;

/**
 * Puts the preview proxy in front of everything else on the server (express, Socket.IO): a request or
 * upgrade for a preview (its host on the preview domain, or `/preview/…`) goes to the proxy only, never to
 * the API, and nothing else reaches the proxy. Call after every other listener is attached.
 */
export function routePreviewsFirst(server: Server, proxy: PreviewProxy): void {
  const requests = server.listeners('request') as Listener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const route = proxy.match(req);
    if (route) return proxy.handle(req, res, route);
    for (const l of requests) l.call(server, req, res);
  });
  const upgrades = server.listeners('upgrade') as Listener[];
  server.removeAllListeners('upgrade');
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const route = proxy.match(req);
    if (route) return void proxy.upgrade(req, socket, head, route);
    if (upgrades.length === 0) return void socket.destroy();
    for (const l of upgrades) l.call(server, req, socket, head);
  });
}

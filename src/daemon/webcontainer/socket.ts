import type { Namespace, Socket } from 'socket.io';
import { publicBaseUrl } from '../auth/realm.js';
import type { Config } from '../config.js';
import type { Container, ContainerService } from '../containers/service.js';
import { DiscoError, UnauthorizedError } from '../errors.js';
import type { Logger } from '../log.js';
import { type DaemonFrame, MAX_PAGE_MESSAGE_BYTES, PageFrame } from './frames.js';
import type { Attachment, WorkbenchHub } from './hub.js';

/** Socket.IO namespace of workbench pages. */
export const WORKBENCH_NAMESPACE = '/workbench';
/** Frames one page may send per second before it is dropped (a flood from a hostile page). */
const MAX_FRAMES_PER_SECOND = 2000;

export { MAX_PAGE_MESSAGE_BYTES };

export interface WorkbenchDeps {
  hub: WorkbenchHub;
  containers: ContainerService;
  config: Config;
  log: Logger;
  /** The page changed the container's files: its search index is refreshed (like after a file op). */
  filesChanged: (container: Container) => void;
}

/**
 * Workbench pages over Socket.IO (namespace `/workbench`). Security: a page authenticates with a
 * short-lived attach token for one container (`auth.attach`, never an API token), and its Origin must be the
 * daemon's own (the page is served by the daemon; a page of another site holding a leaked link is
 * refused). One page per container: a second is refused with `attached elsewhere` while the first lives.
 * Everything a page sends is hostile input: every frame is validated (PageFrame), sizes are capped and
 * paths stay inside the workspace (WorkspaceFiles).
 */
export function attachWorkbenchNamespace(nsp: Namespace, deps: WorkbenchDeps): void {
  const { hub, config, log } = deps;
  nsp.use(async (socket, next) => {
    const fail = (error: DiscoError) => next(Object.assign(new Error(error.message), { data: error.toBody().error }));
    const origin = socket.handshake.headers.origin;
    const own = new URL(publicBaseUrl(socket.request, config)).origin;
    // The daemon's own headless pages come from the address it listens on.
    const local = hub.baseUrl ? new URL(hub.baseUrl).origin : undefined;
    if (origin !== own && origin !== local)
      return fail(new DiscoError('forbidden', 'a workbench page must come from the daemon itself'));
    const token = socket.handshake.auth.attach;
    if (typeof token !== 'string') return fail(new UnauthorizedError('an attach token is required (auth.attach)'));
    const grant = await hub.tokens.verify(token);
    if (grant === 'expired')
      return fail(new UnauthorizedError('the attach link has expired: run `disco open <container>` for a fresh one'));
    if (!grant) return fail(new UnauthorizedError('invalid attach token'));
    try {
      const c = await deps.containers.get(grant.userId, grant.containerId);
      if (c.runtime !== 'webcontainer')
        return fail(new DiscoError('unsupported', 'this container does not use the webcontainer runtime'));
      if (hub.attachedTo(c.id)?.alive())
        return fail(
          new DiscoError('conflict', 'this container is attached elsewhere (another workbench page holds it)'),
        );
      socket.data.container = { id: c.id, name: c.name, root: c.root, userId: grant.userId };
      next();
    } catch (err) {
      fail(err instanceof DiscoError ? err : new UnauthorizedError('invalid attach token'));
    }
  });
  nsp.on('connection', (socket) => {
    handlePage(socket, deps).catch((err) => {
      log.warn({ err }, 'a workbench page failed to attach');
      socket.disconnect(true);
    });
  });
}

async function handlePage(socket: Socket, deps: WorkbenchDeps): Promise<void> {
  const { hub, config, log } = deps;
  const c = socket.data.container as { id: string; name: string; root: string; userId: string };
  const emit = (frame: DaemonFrame) => socket.emit('d', frame);
  let a: Attachment;
  try {
    a = hub.attach(
      c.id,
      c.userId,
      c.root,
      emit,
      () => socket.disconnect(true),
      () => socket.connected,
    );
  } catch (err) {
    const e = err instanceof DiscoError ? err : new DiscoError('conflict', 'cannot attach');
    socket.emit('refused', e.toBody().error);
    socket.disconnect(true);
    return;
  }
  let window = Date.now();
  let count = 0;
  let queue = Promise.resolve();
  socket.on('p', (raw: unknown) => {
    const now = Date.now();
    if (now - window > 1000) {
      window = now;
      count = 0;
    }
    if (++count > MAX_FRAMES_PER_SECOND) {
      log.warn({ containerId: c.id }, 'a workbench page flooded the daemon; disconnected');
      socket.disconnect(true);
      return;
    }
    const parsed = PageFrame.safeParse(raw);
    if (!parsed.success) return; // dropped: it can only ever concern its own container
    const frame = parsed.data;
    switch (frame.t) {
      case 'ready':
        hub.markReady(a);
        return;
      case 'boot_failed':
        log.warn({ containerId: c.id, message: frame.message }, 'a workbench page could not boot its runtime');
        hub.detach(a, 'boot failed');
        hub.bootFailed(a, frame.message);
        socket.disconnect(true);
        return;
      case 'fs':
        // In order: a later change to the same path must not overtake an earlier one.
        queue = queue
          .then(() => a.sync.fromPage(frame))
          .then(async () => deps.filesChanged(await deps.containers.get(c.userId, c.id)))
          .catch((err) => log.warn({ err }, 'workbench sync failed'));
        return;
      default:
        a.runtime.onFrame(frame);
    }
  });
  // The page reconnects with this after losing the daemon (its URL's token expires).
  const renew = () =>
    void hub.tokens
      .sign({ userId: c.userId, containerId: c.id })
      .then((token) => emit({ t: 'renew', token }))
      .catch(() => {});
  const renewer = setInterval(renew, (hub.tokens.ttlSeconds * 1000) / 2);
  renewer.unref();
  renew();
  socket.on('disconnect', (reason) => {
    clearInterval(renewer);
    hub.detach(a, reason);
  });
  emit({
    t: 'hello',
    container: { id: c.id, name: c.name },
    standin: config.webcontainerStandin,
    runtimeOrigin: config.webcontainerRuntimeOrigin,
    ...(config.webcontainerApiKey ? { apiKey: config.webcontainerApiKey } : {}),
    exclude: [...config.webcontainerSyncExclude],
  });
  await a.sync.sendTree();
}

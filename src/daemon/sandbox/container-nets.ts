import type { ContainerNet, ListeningPort, PortEvent } from './container-net.js';

/** Which implementation serves a container: the host's namespace, or its own sandbox's. */
export type NetKind = 'host' | 'sandbox' | 'webcontainer';

/**
 * Routes each container to the `ContainerNet` that can see it: `HostContainerNet` for containers whose
 * commands share the host's network (DISCO_SANDBOX=none, network mode `host`), the live sandbox's
 * (`attachSandboxed`) for containers with their own namespace.
 */
export class ContainerNets implements ContainerNet {
  private sandboxed: ContainerNet | undefined;
  private pages: ContainerNet | undefined;
  private readonly subscriptions = new Set<{ listener: (e: PortEvent) => void; off: () => void }>();

  constructor(
    private readonly kindOf: (containerId: string) => NetKind,
    private readonly host: ContainerNet,
  ) {}

  /** Plugs in the live sandbox's implementation (its supervisor dials inside each container's namespace). */
  attachSandboxed(net: ContainerNet): void {
    this.sandboxed = net;
    this.subscribeAll(net);
  }

  /** Plugs in the workbench pages' implementation (the ports webcontainer containers' pages announce). */
  attachPages(net: ContainerNet): void {
    this.pages = net;
    this.subscribeAll(net);
  }

  private subscribeAll(net: ContainerNet): void {
    for (const s of this.subscriptions) {
      const offSandbox = net.onPort(s.listener);
      const offHost = s.off;
      s.off = () => {
        offHost();
        offSandbox();
      };
    }
  }

  private pick(containerId: string): ContainerNet {
    // Until a sandboxed implementation is plugged in, the host one answers (and finds nothing for a
    // container in its own namespace: no port of it is reachable).
    const kind = this.kindOf(containerId);
    if (kind === 'webcontainer' && this.pages) return this.pages;
    return kind === 'sandbox' && this.sandboxed ? this.sandboxed : this.host;
  }

  connect(containerId: string, port: number) {
    return this.pick(containerId).connect(containerId, port);
  }

  listening(containerId: string): Promise<ListeningPort[]> {
    return this.pick(containerId).listening(containerId);
  }

  onPort(listener: (e: PortEvent) => void): () => void {
    const offHost = this.host.onPort(listener);
    const offSandbox = this.sandboxed?.onPort(listener);
    const offPages = this.pages?.onPort(listener);
    const sub = {
      listener,
      off: () => {
        offHost();
        offSandbox?.();
        offPages?.();
      },
    };
    this.subscriptions.add(sub);
    return () => {
      this.subscriptions.delete(sub);
      sub.off();
    };
  }
}

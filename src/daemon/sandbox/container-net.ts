import type { Duplex } from 'node:stream';

/** One TCP port listening inside a container. */
export interface ListeningPort {
  port: number;
  address: string;
  pid: number | null;
  command: string | null;
}

/** A port opening or closing in a running container. */
export interface PortEvent {
  containerId: string;
  port: number;
  open: boolean;
  pid: number | null;
}

/**
 * The network of containers as the daemon sees it: what listens inside, and a way in. Implemented by the
 * live sandbox (its supervisor dials inside the container's own network namespace) and by
 * `HostContainerNet` for containers whose commands share the host's network.
 */
export interface ContainerNet {
  /** A TCP connection to `port` on the container's own loopback; DiscoError 'port_closed' (409) when nothing listens. */
  connect(containerId: string, port: number): Promise<Duplex>;
  /** TCP ports listening inside the container, with the owning process where it can be told. */
  listening(containerId: string): Promise<ListeningPort[]>;
  /** Called when a port starts / stops listening in a running container (polled by the supervisor). */
  onPort(listener: (e: PortEvent) => void): () => void;
}

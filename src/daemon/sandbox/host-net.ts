import net from 'node:net';
import type { Duplex } from 'node:stream';
import { DiscoError } from '../errors.js';
import { containerPids, runsForContainer } from '../workspace/container-pids.js';
import type { ContainerNet, ListeningPort, PortEvent } from './container-net.js';
import { commandLine, listeningSockets, netNamespace, socketInodes } from './proc-net.js';

const CACHE_MS = 300;

export const portClosed = (containerId: string, port: number) =>
  new DiscoError('port_closed', `nothing in the container listens on port ${port}`, { container: containerId, port });

/** Where to dial a listener bound to `address` (a wildcard is reached on loopback). */
function dialAddress(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '::1';
  if (address.startsWith('::ffff:')) return address.slice(7);
  return address;
}

/**
 * The network of containers whose commands share the host's network namespace (DISCO_SANDBOX=none, or
 * network mode `host`). A port belongs to a container only when a process of that container (found by
 * DISCO_CONTAINER_ID in its environment) in the daemon's own namespace holds the listening socket, so a
 * preview can never reach the daemon's own port, another container's server or any other host service.
 */
export class HostContainerNet implements ContainerNet {
  private readonly cache = new Map<string, { at: number; ports: ListeningPort[] }>();
  private readonly listeners = new Set<(e: PortEvent) => void>();
  private readonly known = new Map<string, Map<number, number | null>>();
  private timer: NodeJS.Timeout | undefined;

  /** `running` lists the containers that have running processes now (polled for port events). */
  constructor(
    private readonly running: () => Iterable<string>,
    private readonly pollMs = 1000,
  ) {}

  async listening(containerId: string): Promise<ListeningPort[]> {
    const hit = this.cache.get(containerId);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.ports;
    const ports = this.scan(containerId);
    this.cache.set(containerId, { at: Date.now(), ports });
    return ports;
  }

  async connect(containerId: string, port: number): Promise<Duplex> {
    // The socket must belong to the container now: the last known owner is re-checked (cheap), else a scan.
    let target = this.recheck(containerId, port);
    if (!target) {
      const ports = this.scan(containerId);
      this.cache.set(containerId, { at: Date.now(), ports });
      target = this.pickTarget(ports, port);
    }
    if (!target) throw portClosed(containerId, port);
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: dialAddress(target.address), port });
      socket.setNoDelay(true);
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', () => reject(portClosed(containerId, port)));
    });
  }

  onPort(listener: (e: PortEvent) => void): () => void {
    this.listeners.add(listener);
    this.timer ??= setInterval(() => this.poll(), this.pollMs);
    this.timer.unref();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
        this.known.clear();
      }
    };
  }

  private pickTarget(ports: ListeningPort[], port: number): ListeningPort | undefined {
    const mine = ports.filter((p) => p.port === port);
    return mine.find((p) => p.address === '0.0.0.0' || p.address === '::') ?? mine[0];
  }

  /**
   * Perf: a full scan reads every process's environment. The process last seen listening on the port is
   * checked on its own instead: still the container's, in the daemon's namespace, and still holding a
   * socket that listens on that port now.
   */
  private recheck(containerId: string, port: number): ListeningPort | undefined {
    const known = this.cache.get(containerId)?.ports;
    const target = known && this.pickTarget(known, port);
    if (!target?.pid || !runsForContainer(target.pid, containerId)) return undefined;
    if (netNamespace(target.pid) !== netNamespace('self')) return undefined;
    const held = new Set(socketInodes(target.pid));
    const live = listeningSockets().some((l) => l.port === port && l.address === target.address && held.has(l.inode));
    return live ? target : undefined;
  }

  private scan(containerId: string): ListeningPort[] {
    const self = netNamespace('self');
    const pids = containerPids(containerId).filter((pid) => netNamespace(pid) === self);
    if (pids.length === 0) return [];
    const byInode = new Map(listeningSockets().map((l) => [l.inode, l]));
    const found = new Map<string, ListeningPort>();
    for (const pid of pids) {
      for (const inode of socketInodes(pid)) {
        const l = byInode.get(inode);
        const key = l && `${l.address}|${l.port}`;
        if (!l || !key || found.has(key)) continue;
        found.set(key, { port: l.port, address: l.address, pid, command: commandLine(pid) });
      }
    }
    return [...found.values()].sort((a, b) => a.port - b.port || a.address.localeCompare(b.address));
  }

  private poll(): void {
    const live = new Set(this.running());
    for (const id of new Set([...live, ...this.known.keys()])) {
      const before = this.known.get(id) ?? new Map<number, number | null>();
      const now = new Map<number, number | null>();
      if (live.has(id)) {
        const ports = this.scan(id);
        this.cache.set(id, { at: Date.now(), ports });
        for (const p of ports) if (!now.has(p.port)) now.set(p.port, p.pid);
      }
      for (const [port, pid] of now) if (!before.has(port)) this.emit({ containerId: id, port, open: true, pid });
      for (const [port, pid] of before) if (!now.has(port)) this.emit({ containerId: id, port, open: false, pid });
      if (now.size > 0) this.known.set(id, now);
      else this.known.delete(id);
    }
  }

  private emit(e: PortEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // a listener's failure is its own
      }
    }
  }
}

import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { DiscoError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Sandbox } from '../workspace/sandbox.js';
import type { LiveSandbox, SandboxCapacity } from './capacity.js';
import type { ContainerNet, ListeningPort, PortEvent } from './container-net.js';
import { ContainerSandbox } from './container-sandbox.js';
import { ControlSocket, type EgressHandler } from './control-socket.js';
import { EGRESS_PORT, egressEnv } from './egress-env.js';
import { ptyModules, sweepLibDirs } from './lib-dir.js';
import { withSpawnerArgv } from './native-spawner.js';
import type { NetworkMode } from './network-mode.js';
import { BROWSER_PROFILES_INSIDE, browserProfilesDir } from './profiles.js';

/** Where the supervisor finds its files inside every sandbox. */
const INSIDE = {
  lib: '/run/disco/lib',
  ctl: '/run/disco/ctl',
  modules: '/run/disco/node_modules',
  browser: BROWSER_PROFILES_INSIDE,
};

export interface PoolOptions {
  /** A directory of the daemon's state (never mounted whole into a sandbox). */
  runDir: string;
  log: Logger;
  /** Receives each egress connection of a container (the daemon's proxy); none: they are closed. */
  egress?: EgressHandler;
  /**
   * Where each container's browser profiles live on the host (`<dir>/<container>`, daemon state, bound
   * read-write at /run/disco/browser in its sandbox only); none: no profile directory is mounted.
   */
  browserDir?: string;
  /** `node`: never use the native spawner (DISCO_SANDBOX_SPAWNER); default `auto`. */
  spawner?: 'auto' | 'node';
  /** The native spawner binary; default dist/native/disco-spawner of this checkout. */
  spawnerBinary?: string;
}

/** Who starts the piped processes of container sandboxes, for /health, /capabilities and doctor. */
export interface SpawnerReport {
  path: 'native' | 'node';
  reason: string;
}

/** The supervisor's files, copied from beside this module into every sandbox's read-only lib directory. */
const SUPERVISOR_FILES = ['supervisor.cjs', 'supervisor-ports.cjs'];

/** dist/native/disco-spawner, from src/ and dist/ alike (both are <checkout>/<dir>/daemon/sandbox). */
export const SPAWNER_BINARY = fileURLToPath(new URL('../../../dist/native/disco-spawner', import.meta.url));

export interface SandboxTarget {
  containerId: string;
  root: string;
  network: NetworkMode;
}

interface Entry {
  target: SandboxTarget;
  owner: string | undefined;
  /** When a command, terminal, browser, git call or connection last asked for it (LRU eviction). */
  lastUsed: number;
  starting: Promise<ContainerSandbox>;
  box?: ContainerSandbox;
  socket?: ControlSocket;
}

/**
 * The live sandboxes of running containers, one each, started by the container's first command and
 * ended with the container (stop, idle, delete) or the daemon. Also the ContainerNet of sandboxed
 * containers: their ports are reached and listed through their supervisor, inside their own namespace.
 */
export class SandboxPool implements ContainerNet {
  private readonly entries = new Map<string, Entry>();
  /** Clean-ups after a container's sandbox ended (its cgroups): the next start waits for them. */
  private readonly settling = new Map<string, Promise<void>>();
  /** Sandboxes stopped and not yet gone: a start that evicted one waits for it. */
  private readonly dying = new Map<string, Promise<void>>();
  /** The bound on live sandboxes (none: no bound). */
  private capacity: SandboxCapacity | undefined;
  private readonly portListeners = new Set<(e: PortEvent) => void>();
  private readonly libDir: string;
  private readonly modulesDir: string | undefined;
  private egress: EgressHandler | undefined;
  private closed = false;
  /** The spawner inside sandboxes (none: Node starts every process), and what the last sandbox said. */
  private readonly hasSpawner: boolean;
  private spawnerState: SpawnerReport;

  constructor(
    private readonly sandbox: Sandbox,
    private readonly opts: PoolOptions,
  ) {
    this.egress = opts.egress;
    const owned = sandbox.owner !== undefined;
    mkdirSync(opts.runDir, { recursive: true, mode: 0o700 });
    chmodSync(opts.runDir, owned ? 0o711 : 0o700);
    // A lib directory per process: `disco mcp` and `disco worker` set up sandboxes on the daemon's home too,
    // and one that exits must not remove (or, starting, rewrite) what the daemon's sandboxes mount.
    sweepLibDirs(opts.runDir);
    this.libDir = path.join(opts.runDir, `lib.${process.pid}.${randomBytes(4).toString('hex')}`);
    mkdirSync(this.libDir, { recursive: true, mode: 0o755 });
    chmodSync(this.libDir, 0o755);
    for (const file of SUPERVISOR_FILES) {
      const source = readFileSync(new URL(`./${file}`, import.meta.url));
      writeFileSync(path.join(this.libDir, file), source, { mode: 0o644 });
    }
    this.modulesDir = ptyModules();
    // The native spawner, beside the supervisor in the read-only lib directory of every sandbox.
    const binary = opts.spawnerBinary ?? SPAWNER_BINARY;
    this.hasSpawner = opts.spawner !== 'node' && existsSync(binary);
    if (this.hasSpawner) {
      const copy = path.join(this.libDir, 'disco-spawner');
      rmSync(copy, { force: true });
      copyFileSync(binary, copy);
      chmodSync(copy, 0o755);
    }
    this.spawnerState = this.hasSpawner
      ? { path: 'native', reason: 'the native spawner is installed; no sandbox has checked it yet' }
      : {
          path: 'node',
          reason:
            opts.spawner === 'node'
              ? 'DISCO_SANDBOX_SPAWNER=node'
              : `no native spawner at ${binary} (npm run build compiles it with cc)`,
        };
    opts.log.info(this.spawnerState, 'container sandboxes: who starts piped processes');
  }

  /** Who starts piped processes in sandboxes: from the last sandbox that started, or what is installed. */
  spawnerReport(): SpawnerReport {
    return this.spawnerState;
  }

  /** Sets (or replaces) the egress proxy's handler. */
  setEgress(handler: EgressHandler | undefined): void {
    this.egress = handler;
  }

  /** Sets the bound on live sandboxes (core, once the services it asks exist). */
  setCapacity(capacity: SandboxCapacity | undefined): void {
    this.capacity = capacity;
  }

  /** The bound on live sandboxes, if any. */
  get bound(): SandboxCapacity | undefined {
    return this.capacity;
  }

  /** Live sandboxes now and the limits, for /health and metrics. */
  stats(): { live: number; max: number; maxPerUser: number } {
    const limits = this.capacity?.limits;
    return { live: this.entries.size, max: limits?.maxLive ?? 0, maxPerUser: limits?.maxLivePerUser ?? 0 };
  }

  /**
   * The container's running sandbox, started when there is none (or its network mode changed). A start over
   * the capacity bound first stops the least recently used idle sandboxes, or is refused (capacity.ts).
   */
  async get(target: SandboxTarget): Promise<ContainerSandbox> {
    return this.obtain(target, false) as Promise<ContainerSandbox>;
  }

  /**
   * Starts a warm container's sandbox ahead of its first command, only while there is room to spare: it never
   * stops another sandbox and is skipped (undefined) otherwise.
   */
  prestart(target: SandboxTarget): Promise<ContainerSandbox> | undefined {
    return this.obtain(target, true);
  }

  private obtain(target: SandboxTarget, prestart: boolean): Promise<ContainerSandbox> | undefined {
    if (this.closed) return Promise.reject(new DiscoError('unavailable', 'the daemon is shutting down'));
    const e = this.entries.get(target.containerId);
    if (e && (e.target.network !== target.network || e.target.root !== target.root || e.box?.dead)) {
      this.stop(target.containerId);
    } else if (e) {
      if (!prestart) e.lastUsed = Date.now();
      return e.starting;
    }
    // Security: admitted synchronously (the entry is set below before anything awaits), so concurrent starts
    // are counted against each other.
    const owner = this.capacity?.ownerOf(target.containerId);
    let victims: string[] = [];
    if (this.capacity) {
      // Throws the typed refusal (a rejection of `get`, which is async); a prestart is never refused, only skipped.
      const admission = this.capacity.admit(owner, this.live(), prestart);
      if ('skip' in admission) return undefined;
      victims = admission.victims;
      for (const id of victims) {
        this.capacity.evict(id);
        if (this.entries.has(id)) this.stop(id); // a container without a row: its sandbox alone
      }
    }
    const entry: Entry = { target, owner, lastUsed: Date.now(), starting: this.start(target, victims) };
    entry.starting.then(
      (box) => {
        entry.box = box;
      },
      () => {
        if (this.entries.get(target.containerId) === entry) this.entries.delete(target.containerId);
      },
    );
    this.entries.set(target.containerId, entry);
    return entry.starting;
  }

  /** The live sandboxes as the capacity bound sees them. */
  private live(): LiveSandbox[] {
    return [...this.entries.values()].map((e) => ({
      containerId: e.target.containerId,
      owner: e.owner,
      lastUsed: e.lastUsed,
      busy: !e.box || e.box.dead || e.box.size > 0,
    }));
  }

  /** The container's sandbox if one is running now. */
  running(containerId: string): ContainerSandbox | undefined {
    const box = this.entries.get(containerId)?.box;
    return box && !box.dead ? box : undefined;
  }

  private async start(target: SandboxTarget, evicted: readonly string[]): Promise<ContainerSandbox> {
    const { containerId } = target;
    // The sandboxes it evicted are gone before it starts: the bound holds for processes, not just entries.
    await Promise.all([this.settling.get(containerId), ...evicted.map((id) => this.dying.get(id))]);
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(containerId)) throw new Error(`bad container id ${containerId}`);
    const socket = await ControlSocket.open(
      // A directory per sandbox start: a dying predecessor's cleanup never touches its successor's socket.
      path.join(this.opts.runDir, `${containerId}.${randomBytes(4).toString('hex')}`),
      this.sandbox.owner,
      (conn) => {
        if (this.egress) this.egress(containerId, conn);
        else conn.destroy();
      },
      (tag, conn) => this.entries.get(containerId)?.box?.answer(tag, conn) ?? false,
    );
    const entry = this.entries.get(containerId);
    if (entry) entry.socket = socket;
    const egressPort = target.network === 'egress' ? EGRESS_PORT : 0;
    const profiles = this.opts.browserDir
      ? browserProfilesDir(this.opts.browserDir, containerId, this.sandbox.owner)
      : undefined;
    const mounts = [
      { from: this.libDir, to: INSIDE.lib },
      { from: socket.dir, to: INSIDE.ctl },
      ...(this.modulesDir ? [{ from: this.modulesDir, to: `${INSIDE.modules}/@lydell` }] : []),
      ...(profiles ? [{ from: profiles, to: INSIDE.browser, writable: true }] : []),
    ];
    // The container id in the command line names the sandbox's processes on the host (ps, tests).
    const config = JSON.stringify({
      container: containerId,
      socket: `${INSIDE.ctl}/sock`,
      egressPort,
      modules: INSIDE.modules,
      // The native spawner takes the egress port; the supervisor listens only when told it does not.
      ...(this.hasSpawner && egressPort ? { egressLater: true } : {}),
    });
    // The supervisor (and the spawner) hold the per-process limits their commands inherit (one prlimit per
    // sandbox, not per command). Perf: the spawner starts beside the supervisor, so the first command need
    // not wait for Node to start (~140 ms here).
    const first = [process.execPath, `${INSIDE.lib}/supervisor.cjs`, config];
    const supervisor = this.sandbox.withInheritedLimits(
      this.hasSpawner
        ? withSpawnerArgv('/bin/sh', `${INSIDE.lib}/disco-spawner`, this.sandbox.limits.cpuSeconds, egressPort, first)
        : first,
    );
    const argv = this.sandbox.launch(supervisor, {
      root: target.root,
      cwd: target.root,
      network: target.network,
      mounts,
      container: containerId,
    });
    const box = new ContainerSandbox(
      containerId,
      target.root,
      target.network,
      argv,
      egressPort ? egressEnv(egressPort) : {},
      (command) => this.sandbox.withCommandLimits(command),
      this.hasSpawner,
    );
    box.on('egress', (conn) => {
      if (this.egress) this.egress(containerId, conn);
      else conn.destroy();
    });
    box.on('port', (e) => {
      for (const l of this.portListeners) l({ containerId, ...e });
    });
    box.once('death', ({ expected, lost, stderr }) => {
      const current = this.entries.get(containerId);
      if (current?.box === box) this.entries.delete(containerId);
      socket.close();
      if (!expected) {
        this.opts.log.warn(
          { containerId, lost, stderr: stderr.trim().slice(0, 300) || undefined },
          'a container sandbox died; its running processes are lost',
        );
      }
    });
    try {
      await box.ready;
      this.noteSpawner(box);
    } catch (err) {
      box.stop();
      socket.close();
      throw err;
    }
    return box;
  }

  /** Logs (once per change) which spawner the sandboxes use, e.g. when the native one fails its self-check. */
  private noteSpawner(box: ContainerSandbox): void {
    if (!this.hasSpawner) return; // Node by choice or for want of the binary: the report says which
    const { path: used, reason } = box.spawner;
    const next: SpawnerReport = {
      path: used,
      reason: used === 'native' ? 'the native spawner passed its self-check' : (reason ?? 'the supervisor chose Node'),
    };
    if (next.path === this.spawnerState.path && next.reason === this.spawnerState.reason) return;
    const was = this.spawnerState.path;
    this.spawnerState = next;
    if (next.path === 'node' && was === 'native') {
      this.opts.log.warn(next, 'the native spawner failed in a container sandbox; processes start from Node');
    } else this.opts.log.info(next, 'container sandboxes: who starts piped processes');
  }

  /**
   * Ends the container's sandbox and everything in it; `cleanup` (removing its cgroups) runs once it is
   * gone, and a new sandbox of the container starts only after it finished.
   */
  stop(containerId: string, cleanup?: () => Promise<void>): void {
    const e = this.entries.get(containerId);
    this.entries.delete(containerId);
    const ended = e ? this.ended(e) : Promise.resolve();
    if (e) {
      const gone = ended.finally(() => {
        if (this.dying.get(containerId) === gone) this.dying.delete(containerId);
      });
      this.dying.set(containerId, gone);
    }
    if (!cleanup) return;
    const before = this.settling.get(containerId) ?? Promise.resolve();
    const settled: Promise<void> = Promise.all([before, ended])
      .then(cleanup)
      .catch((err) => this.opts.log.warn({ err, containerId }, 'cannot clean up after a container sandbox'))
      .finally(() => {
        if (this.settling.get(containerId) === settled) this.settling.delete(containerId);
      });
    this.settling.set(containerId, settled);
  }

  /** Kills an entry's sandbox (started or starting); resolves when its process has gone. */
  private ended(e: Entry): Promise<void> {
    e.socket?.close();
    return e.starting.then(
      (box) =>
        new Promise<void>((resolve) => {
          if (box.dead) return resolve();
          box.once('death', () => resolve());
          box.stop();
        }),
      () => undefined,
    );
  }

  /** Ends every sandbox (daemon shutdown). */
  shutdown(): void {
    this.closed = true;
    for (const id of [...this.entries.keys()]) this.stop(id);
    rmSync(this.libDir, { recursive: true, force: true });
  }

  async connect(containerId: string, port: number): Promise<Duplex> {
    const box = this.running(containerId);
    const e = this.entries.get(containerId);
    if (box && e) e.lastUsed = Date.now();
    if (!box) throw new DiscoError('port_closed', 'the container is not running, so nothing listens on its ports');
    return box.dial(port);
  }

  async listening(containerId: string): Promise<ListeningPort[]> {
    const box = this.running(containerId);
    return box ? box.listening() : [];
  }

  onPort(listener: (e: PortEvent) => void): () => void {
    this.portListeners.add(listener);
    return () => this.portListeners.delete(listener);
  }
}

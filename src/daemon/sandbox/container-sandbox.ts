import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { DiscoError } from '../errors.js';
import { type Waiter, waitWithTimeout } from '../waiters.js';
import type { ChildEnd } from './child.js';
import { NativeSpawner } from './native-spawner.js';
import type { NetworkMode } from './network-mode.js';
import { type Event, FrameSplitter, type PortInfo, parseEvent, type Request } from './protocol.js';
import { deliverReport, RemoteChild, RemotePty, spawnError } from './remote.js';

/** What a process needs to start in a container's sandbox. */
export interface SpawnSpec {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  /** Keep a stdin pipe (input is written to RemoteChild.stdin). */
  stdin: boolean;
}

const START_TIMEOUT_MS = 15_000;
const DIAL_TIMEOUT_MS = 5_000;
/** Keys of `pending` that are not process ids (those are base 36). */
const READY = '';
const SUPERVISOR_READY = 'supervisor';

/**
 * One running container sandbox: the bwrap process tree whose supervisor (supervisor.cjs) starts the
 * container's processes on request over its stdin/stdout, and (`native`) whose native spawner starts its
 * piped processes over a channel of its own, from the moment it passed its self-check: the first command
 * does not wait for Node to start. Its death (killed, crashed) ends every process in it: they are reported
 * `lost`, and the pool starts a fresh sandbox for the next command.
 */
export class ContainerSandbox extends EventEmitter<{
  death: [{ expected: boolean; lost: number; stderr: string }];
  port: [{ port: number; open: boolean; pid: number | null }];
  /** A connection to the sandbox's egress port, handed over by its native spawner. */
  egress: [Socket];
}> {
  /** Commands can start: the native spawner passed its self-check, or else the supervisor is up. */
  readonly ready: Promise<void>;
  /** The supervisor is up (terminals, dials and port lists wait for it). */
  readonly supervisorReady: Promise<void>;
  readonly startedAt = performance.now();
  dead = false;
  /** Pid of the supervisor inside the sandbox (its own pid namespace). */
  supervisorPid: number | undefined;
  /** Who starts its piped processes (from `ready`), and why not the native spawner. */
  spawner: { path: 'native' | 'node'; reason?: string } = { path: 'node' };
  private stopping = false;
  private seq = 0;
  private stderr = '';
  private readonly procs = new Map<string, RemoteChild | RemotePty>();
  private readonly pending = new Map<string, Waiter>();
  private readonly dials = new Map<string, { resolve: (s: Duplex) => void; reject: (e: Error) => void }>();
  private readonly portQueries = new Map<number, (list: PortInfo[]) => void>();
  private readonly child: ChildProcess;
  private readonly native: NativeSpawner | undefined;
  private supervisorUp = false;

  constructor(
    readonly containerId: string,
    readonly root: string,
    readonly network: NetworkMode,
    argv: string[],
    /** Environment for the whole sandbox's processes on top of each command's own (the egress proxy). */
    readonly baseEnv: Record<string, string>,
    /**
     * Each command's argv under the per-process limits it does not inherit from the supervisor, when Node
     * starts it (the native spawner sets them itself, from its command line).
     */
    private readonly commandArgv: (argv: string[]) => string[] = (argv) => argv,
    /** `argv` starts the native spawner on fd SPAWNER_FD (withSpawnerArgv), beside the supervisor. */
    native = false,
  ) {
    super();
    this.child = spawn(argv[0] as string, argv.slice(1), {
      cwd: root,
      // Few threads: each counts against the container's pids limit (SANDBOX_OWN_TASKS).
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8', UV_THREADPOOL_SIZE: '2' },
      detached: true,
      stdio: native ? ['pipe', 'pipe', 'pipe', 'ignore', 'ipc'] : ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdin?.on('error', () => {});
    this.child.stderr?.on('data', (c: Buffer) => {
      if (this.stderr.length < 4096) this.stderr += c.toString('utf8');
    });
    this.ready = this.startup(READY);
    this.supervisorReady = this.startup(SUPERVISOR_READY);
    this.native =
      native && this.child.channel
        ? new NativeSpawner(this.child, {
            event: (ev) => this.onEvent(ev),
            watch: (on) => this.send({ t: 'watch', on }),
            settled: (reason) => this.nativeSettled(reason),
            ended: (live) => this.nativeEnded(live),
            egress: (socket) => this.egressConnection(socket),
            egressLost: () => this.network === 'egress' && this.send({ t: 'egress' }),
          })
        : undefined;
    this.child.once('error', () => this.die());
    this.child.once('exit', () => this.die());
    if (this.child.stdout) {
      const frames = new FrameSplitter(
        (line) => {
          const ev = parseEvent(line);
          if (ev) this.onEvent(ev);
        },
        () => {
          // Only a process of this container writing to its supervisor's pipe can do that: end the sandbox.
          this.stderr = 'the supervisor sent an oversized frame';
          this.stop();
        },
      );
      this.child.stdout.on('data', (chunk: Buffer) => frames.push(chunk));
    }
  }

  /** A start-up promise settled through `pending` (rejected by the sandbox's death), with its timeout. */
  private startup(key: string): Promise<void> {
    const p = waitWithTimeout(this.pending, key, START_TIMEOUT_MS, () => {
      this.stop();
      return new DiscoError('unavailable', 'the container sandbox did not start in time');
    });
    p.catch(() => {});
    return p;
  }

  /**
   * A command's own connection to the egress port, handed over by the spawner. Perf: without Nagle, the
   * last segment of each response the proxy writes is not held for the command's delayed ACK.
   */
  private egressConnection(socket: Socket): void {
    if (this.dead) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    this.emit('egress', socket);
  }

  /** Ready once the spawner passed its check, or the supervisor is up and the spawner cannot be used. */
  private nativeSettled(reason: string | undefined): void {
    if (reason === undefined) {
      this.spawner = { path: 'native' };
      this.settle(READY, undefined);
    } else {
      this.spawner = { path: 'node', reason };
      if (this.supervisorUp) this.settle(READY, undefined);
    }
  }

  /**
   * The spawner ended: later processes start from Node; the supervisor kills the groups of those it ran
   * and reports them killed (if the whole sandbox is dying instead, they are reported lost).
   */
  private nativeEnded(live: Map<string, number | undefined>): void {
    this.spawner = { path: 'node', reason: 'the native spawner ended' };
    const procs: { id: string; pid: number }[] = [];
    for (const [id, pid] of live) {
      if (pid !== undefined) procs.push({ id, pid });
      else this.onEvent({ t: 'error', id, code: 'EIO', message: 'the native spawner ended' });
    }
    if (procs.length > 0) this.send({ t: 'kill', procs });
  }

  /** Host pid of the sandbox's outermost process (its group is the whole launcher). */
  get hostPid(): number | undefined {
    return this.child.pid;
  }

  /** Processes running in it now. */
  get size(): number {
    return this.procs.size;
  }

  private send(req: Request): void {
    if (this.dead || this.native?.send(req)) return;
    this.child.stdin?.write(`${JSON.stringify(req)}\n`);
  }

  private readonly sender = (req: Request) => this.send(req);

  private onEvent(ev: Event): void {
    switch (ev.t) {
      case 'ready':
        this.supervisorPid = ev.pid;
        this.supervisorUp = true;
        this.settle(SUPERVISOR_READY, undefined);
        if (!this.native || this.native.state === 'failed') this.settle(READY, undefined);
        return;
      case 'spawned': {
        const p = this.procs.get(ev.id);
        if (p) p.pid = ev.pid;
        this.settle(ev.id, undefined);
        return;
      }
      case 'error':
        this.procs.delete(ev.id);
        this.settle(ev.id, spawnError(ev.code, ev.message));
        return;
      case 'out':
      case 'tty':
      case 'exit':
        deliverReport(this.procs, ev);
        return;
      case 'fg': {
        const p = this.procs.get(ev.id);
        if (p instanceof RemotePty) p.process = ev.name;
        return;
      }
      case 'dialed': {
        const d = this.dials.get(ev.tag);
        if (!d || ev.ok) return;
        this.dials.delete(ev.tag);
        d.reject(
          ev.code === 'ECONNREFUSED'
            ? new DiscoError('port_closed', 'nothing listens on this port in the container')
            : new DiscoError('unavailable', `cannot reach the port in the container (${ev.code ?? 'error'})`),
        );
        return;
      }
      case 'port':
        this.emit('port', { port: ev.port, open: ev.open, pid: ev.pid });
        return;
      case 'ports':
        this.portQueries.get(ev.req)?.(ev.list);
        this.portQueries.delete(ev.req);
        return;
      default:
        return;
    }
  }

  private settle(id: string, err: Error | undefined): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (err) p.reject(err);
    else p.resolve();
  }

  private nextId(): string {
    return (++this.seq).toString(36);
  }

  private started(id: string): Promise<void> {
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  /** Starts a piped process in its own session and process group. */
  spawn(spec: SpawnSpec): Promise<RemoteChild> {
    return this.start(spec, (id) => new RemoteChild(id, this.sender, spec.stdin), { stdin: spec.stdin });
  }

  /** Starts a process on a new PTY (its own session, the PTY its controlling terminal). */
  spawnPty(spec: Omit<SpawnSpec, 'stdin'> & { cols: number; rows: number }): Promise<RemotePty> {
    return this.start(spec, (id) => new RemotePty(id, this.sender, spec.cols, spec.rows), {
      stdin: true,
      pty: true,
      cols: spec.cols,
      rows: spec.rows,
    });
  }

  /** Registers the process, asks the supervisor to start it, and resolves once it runs (with its pid). */
  private async start<P extends RemoteChild | RemotePty>(
    spec: Omit<SpawnSpec, 'stdin'>,
    make: (id: string) => P,
    how: Pick<Extract<Request, { t: 'spawn' }>, 'stdin' | 'pty' | 'cols' | 'rows'>,
  ): Promise<P> {
    this.assertAlive();
    const id = this.nextId();
    const proc = make(id);
    this.procs.set(id, proc);
    const started = this.started(id);
    const env = { ...this.baseEnv, ...spec.env };
    if (how.pty || !this.native?.start({ t: 'spawn', id, argv: spec.argv, cwd: spec.cwd, env, ...how }))
      this.send({ t: 'spawn', id, argv: this.commandArgv(spec.argv), cwd: spec.cwd, env, ...how });
    await started;
    return proc;
  }

  /** Asks the supervisor to connect to `port` on the container's loopback and hand it over. */
  async dial(port: number): Promise<Duplex> {
    this.assertAlive();
    await this.supervisorReady;
    const tag = randomBytes(12).toString('base64url');
    return new Promise<Duplex>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.dials.delete(tag);
        reject(new DiscoError('unavailable', `the container did not answer a connection to port ${port} in time`));
      }, DIAL_TIMEOUT_MS);
      this.dials.set(tag, {
        resolve: (s) => {
          clearTimeout(timer);
          resolve(s);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.send({ t: 'dial', port, tag });
    });
  }

  /** @internal a `P <tag>` connection arrived on the control socket: true when it was expected. */
  answer(tag: string, socket: Socket): boolean {
    const d = this.dials.get(tag);
    if (!d) return false;
    this.dials.delete(tag);
    d.resolve(socket);
    return true;
  }

  /** Listening TCP ports in the sandbox's network namespace. */
  async listening(): Promise<PortInfo[]> {
    this.assertAlive();
    await this.supervisorReady;
    const req = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.portQueries.delete(req);
        reject(new DiscoError('unavailable', 'the container did not list its ports in time'));
      }, DIAL_TIMEOUT_MS);
      this.portQueries.set(req, (list) => {
        clearTimeout(timer);
        resolve(list);
      });
      this.send({ t: 'ports', req });
    });
  }

  /** Ends the sandbox and everything in it (the launcher's whole process group; the pid namespace follows). */
  stop(): void {
    this.stopping = true;
    const pid = this.child.pid;
    if (pid !== undefined && !this.dead) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  private assertAlive(): void {
    if (this.dead) throw new DiscoError('unavailable', 'the container sandbox has stopped; try again');
  }

  private die(): void {
    if (this.dead) return;
    this.dead = true;
    this.native?.close();
    const expected = this.stopping;
    const end: ChildEnd = expected
      ? { code: null, signal: 'SIGKILL', lost: false }
      : { code: null, signal: null, lost: true };
    const lost = this.procs.size;
    for (const p of this.procs.values()) p.end(end);
    this.procs.clear();
    const why = this.stderr.trim().split('\n')[0]?.slice(0, 200);
    const err = new DiscoError('unavailable', `the container sandbox stopped${why ? ` (${why})` : ''}`);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const d of this.dials.values()) d.reject(err);
    this.dials.clear();
    this.emit('death', { expected, lost, stderr: this.stderr });
  }
}

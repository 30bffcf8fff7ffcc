import { EventEmitter } from 'node:events';
import path from 'node:path';
import { DiscoError } from '../errors.js';
import type { SpawnSpec } from '../sandbox/container-sandbox.js';
import type { Request } from '../sandbox/protocol.js';
import { deliverReport, RemoteChild, RemotePty } from '../sandbox/remote.js';
import { type Waiter, waitWithTimeout } from '../waiters.js';
import type { DaemonFrame, PageFrame } from './frames.js';

const SPAWN_TIMEOUT_MS = 15_000;
const PORTS_TIMEOUT_MS = 5_000;
/** Processes one page may run at once (a page is hostile input: bounded like everything it feeds). */
const MAX_PROCS = 256;
/** Host-side variables that mean nothing in the page's runtime (it has its own PATH and home). */
const HOST_ONLY_ENV = new Set(['PATH', 'HOME', 'TMPDIR', 'DISCO_CONTAINER_ROOT']);

/** A port a page's runtime serves, with the URL the page reported for its preview. */
export interface PagePort {
  port: number;
  url: string | undefined;
}

/**
 * One container's commands, run by its attached workbench page: the same interface as ContainerSandbox
 * (spawn, spawnPty; RemoteChild and RemotePty for the process manager, git and terminals), with the
 * supervisor's frames carried over the page's socket instead of a supervisor's pipes. The page going away
 * ends every process in it as `lost`, exactly like a sandbox that died.
 */
export class WorkbenchRuntime extends EventEmitter<{ port: [{ port: number; open: boolean; url?: string }] }> {
  dead = false;
  private seq = 0;
  private readonly procs = new Map<string, RemoteChild | RemotePty>();
  private readonly pending = new Map<string, Waiter>();
  private readonly portQueries = new Map<number, (list: PagePort[]) => void>();
  /** Ports the page announced open, with their preview URLs. */
  readonly ports = new Map<number, string | undefined>();

  constructor(
    readonly containerId: string,
    readonly root: string,
    private readonly emitFrame: (frame: DaemonFrame) => void,
  ) {
    super();
  }

  get size(): number {
    return this.procs.size;
  }

  private readonly sender = (req: Request) => {
    if (!this.dead && req.t !== 'dial') this.emitFrame(req);
  };

  /** A process frame from the page (already validated against PageFrame). */
  onFrame(ev: PageFrame): void {
    switch (ev.t) {
      case 'spawned': {
        const p = this.procs.get(ev.id);
        if (p) p.pid = ev.pid;
        this.settle(ev.id, undefined);
        return;
      }
      case 'error':
        this.procs.delete(ev.id);
        this.settle(
          ev.id,
          ev.code === 'ENOENT'
            ? new DiscoError('command_not_found', 'command not found', {})
            : new DiscoError('unavailable', `cannot start the command in the page: ${ev.message}`),
        );
        return;
      case 'out':
      case 'tty':
      case 'exit':
        deliverReport(this.procs, ev);
        return;
      case 'port':
        if (ev.open) this.ports.set(ev.port, ev.url);
        else this.ports.delete(ev.port);
        this.emit('port', { port: ev.port, open: ev.open, ...(ev.url ? { url: ev.url } : {}) });
        return;
      case 'ports':
        this.portQueries.get(ev.req)?.(ev.list.map((p) => ({ port: p.port, url: p.url })));
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

  spawn(spec: SpawnSpec): Promise<RemoteChild> {
    return this.start(spec, (id) => new RemoteChild(id, this.sender, spec.stdin), { stdin: spec.stdin });
  }

  /**
   * A terminal in the page. Security: WebContainer does not say which program has a terminal's foreground
   * (a supervisor reports it with `fg`), so the terminal's own program is named as its foreground for
   * good: the command policy then checks every line typed into it (TerminalManager.input), where over the
   * sandbox runtime it checks only lines typed while the shell has the terminal. Stricter, never looser.
   */
  spawnPty(spec: Omit<SpawnSpec, 'stdin'> & { cols: number; rows: number }): Promise<RemotePty> {
    const program = path.basename(spec.argv[0] ?? '');
    const make = (id: string) =>
      Object.assign(new RemotePty(id, this.sender, spec.cols, spec.rows), { process: program });
    return this.start(spec, make, {
      stdin: true,
      pty: true,
      cols: spec.cols,
      rows: spec.rows,
    });
  }

  private async start<P extends RemoteChild | RemotePty>(
    spec: Omit<SpawnSpec, 'stdin'>,
    make: (id: string) => P,
    how: Pick<Extract<Request, { t: 'spawn' }>, 'stdin' | 'pty' | 'cols' | 'rows'>,
  ): Promise<P> {
    if (this.dead) throw new DiscoError('unavailable', 'the workbench page went away; open it again and retry');
    if (this.procs.size >= MAX_PROCS)
      throw new DiscoError('conflict', `a workbench page runs at most ${MAX_PROCS} processes at once`);
    const id = (++this.seq).toString(36);
    const proc = make(id);
    this.procs.set(id, proc);
    const started = waitWithTimeout(this.pending, id, SPAWN_TIMEOUT_MS, () => {
      this.procs.delete(id);
      return new DiscoError('unavailable', 'the workbench page did not start the command in time');
    });
    const env = Object.fromEntries(Object.entries(spec.env).filter(([k]) => !HOST_ONLY_ENV.has(k)));
    this.emitFrame({ t: 'spawn', id, argv: pageArgv(spec.argv), cwd: this.pageCwd(spec.cwd), env, ...how });
    await started;
    return proc;
  }

  /** The command's directory relative to the page's workdir (the workspace is mounted there). */
  private pageCwd(cwdAbs: string): string {
    const rel = path.relative(this.root, cwdAbs);
    return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? '.' : rel.split(path.sep).join('/');
  }

  /** Ports the page's runtime serves now (asked of the page; what it announced when it does not answer). */
  listening(): Promise<PagePort[]> {
    if (this.dead) return Promise.resolve([]);
    const req = ++this.seq;
    const known = () => [...this.ports].map(([port, url]) => ({ port, url }));
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.portQueries.delete(req);
        resolve(known());
      }, PORTS_TIMEOUT_MS);
      this.portQueries.set(req, (list) => {
        clearTimeout(timer);
        for (const p of list) if (p.url && !this.ports.get(p.port)) this.ports.set(p.port, p.url);
        resolve(list.map((p) => ({ port: p.port, url: p.url ?? this.ports.get(p.port) })));
      });
      this.emitFrame({ t: 'ports', req });
    });
  }

  /** The page went away (tab closed, network, replaced): every process in it is lost. */
  lose(reason: string): void {
    if (this.dead) return;
    this.dead = true;
    for (const p of this.procs.values()) p.end({ code: null, signal: null, lost: true });
    this.procs.clear();
    const err = new DiscoError('unavailable', `the workbench page went away (${reason})`);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const q of this.portQueries.values()) q([]);
    this.portQueries.clear();
    for (const port of [...this.ports.keys()]) this.emit('port', { port, open: false });
    this.ports.clear();
  }
}

/** `/bin/sh -c` (the process manager's shell form) is the page's shell, jsh. */
function pageArgv(argv: string[]): string[] {
  const [file, ...rest] = argv;
  return file === '/bin/sh' || file === 'sh' || file === '/bin/bash' || file === 'bash' ? ['jsh', ...rest] : argv;
}

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { NewProcessRow, ProcessesRepo, ProcessRow, ProcessStatus } from '../db/processes-repo.js';
import { DiscoError } from '../errors.js';
import { localChild, type RunningChild } from '../sandbox/child.js';
import { asNetworkMode } from '../sandbox/modes.js';
import type { NetworkMode } from '../sandbox/network-mode.js';
import type { SandboxPool } from '../sandbox/pool.js';
import type { WorkbenchHub } from '../webcontainer/hub.js';
import { processAlive, runsForContainer } from './container-pids.js';
import { OutputLog, type StreamName } from './output-log.js';
import { ProcessHistory } from './process-history.js';
import type { ProcessTable } from './process-table.js';
import { findExecutable, Sandbox } from './sandbox.js';

export interface StartSpec {
  containerId: string;
  ownerId: string;
  root: string;
  /** Already resolved and contained. */
  cwdAbs: string;
  cwdRel: string;
  command: string | string[];
  shell: boolean;
  env: Record<string, string>;
  stdin?: string;
  /** Keep stdin open for process_input (background processes). */
  interactive: boolean;
  /**
   * Started detached (`exec --background`): nobody waits for it, so it does not count as use of its
   * container (the idle reaper may stop the container, and it, once nothing else uses it).
   */
  background?: boolean;
  /** Kill after this long; undefined: never (a background command lives until it ends or its container stops). */
  timeoutMs: number | undefined;
  /** The container's network mode (a boolean: true → egress, false → off). */
  network: boolean | NetworkMode;
}

/** One running (or finished, still remembered) process with its output log. */
export class ManagedProcess extends EventEmitter<{ output: [StreamName, string]; exit: [] }> {
  status: ProcessStatus = 'running';
  exitCode: number | null = null;
  signal: string | null = null;
  timedOut = false;
  cancelled = false;
  endedAt: number | undefined;
  readonly startedAt = Date.now();
  readonly done: Promise<void>;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: string,
    readonly spec: StartSpec,
    readonly child: RunningChild,
    readonly log: OutputLog,
  ) {
    super();
    this.done = new Promise((resolve) => this.once('exit', resolve));
  }

  get running(): boolean {
    return this.status === 'running';
  }

  /** @internal wires timers and streams; called once by ProcessManager.start. */
  attach(onEnd: (p: ManagedProcess) => void): void {
    const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
    const onData = (stream: StreamName) => (chunk: Buffer) => {
      const text = decoders[stream].write(chunk);
      if (!text) return;
      this.log.append(stream, text);
      this.emit('output', stream, text);
    };
    this.child.stdout.on('data', onData('stdout'));
    this.child.stderr.on('data', onData('stderr'));
    if (this.spec.timeoutMs !== undefined) {
      this.timer = setTimeout(() => {
        this.timedOut = true;
        this.child.killGroup();
      }, this.spec.timeoutMs);
    }
    // The leader's exit ends the command; kill the group so leftovers release the output pipes.
    this.child.onExit(() => this.child.killGroup());
    this.child.onClose(({ code, signal, lost }) => {
      clearTimeout(this.timer);
      for (const stream of ['stdout', 'stderr'] as const) {
        const rest = decoders[stream].end();
        if (rest) {
          this.log.append(stream, rest);
          this.emit('output', stream, rest);
        }
      }
      this.exitCode = code;
      this.signal = signal;
      this.status = lost ? 'lost' : this.timedOut ? 'timed_out' : signal ? 'killed' : 'exited';
      this.endedAt = Date.now();
      this.log.close();
      try {
        onEnd(this);
      } finally {
        // Waiters (a foreground exec) are released even when recording the end failed.
        this.emit('exit');
      }
    });
  }

  /**
   * Writes bytes (or text) to its stdin. Resolves once the pipe took them, or the process ended: a
   * caller streaming input in chunks waits for a slow reader instead of piling input up in the daemon.
   */
  async write(data: string | Buffer, end: boolean): Promise<void> {
    const stdin = this.child.stdin;
    if (!this.running || !stdin || stdin.destroyed || stdin.writableEnded) {
      throw new DiscoError('conflict', `process ${this.id} is not accepting input`, { processId: this.id });
    }
    if (data.length > 0) {
      await Promise.race([new Promise<void>((resolve) => stdin.write(data, () => resolve())), this.done]);
    }
    if (end && !stdin.destroyed) stdin.end();
  }

  kill(signal: NodeJS.Signals, reason: 'cancelled' | 'killed' = 'killed'): void {
    if (!this.running) return;
    if (reason === 'cancelled') this.cancelled = true;
    this.child.killGroup(signal);
  }
}

const MAX_REMEMBERED_PER_CONTAINER = 50;

/**
 * Starts and tracks container processes: each in its own process group, its output in a bounded
 * on-disk log addressed by offset, its life recorded in SQLite for history.
 */
export class ProcessManager {
  private readonly live = new Map<string, ManagedProcess>();
  /** Ids of each container's finished processes still remembered, in the order they ended. */
  private readonly finished = new Map<string, string[]>();
  /** Their rows in the database (history). */
  private readonly records: ProcessHistory;

  constructor(
    private readonly repo: ProcessesRepo,
    private readonly table: ProcessTable,
    private readonly logDir: string,
    private readonly logCapBytes: number,
    private readonly sandbox: Sandbox = new Sandbox('none', 'not configured'),
    /** Where failures off the request path (recording a process's end) are reported. */
    onError: (err: unknown, context: Record<string, unknown>) => void = () => {},
    /** Below the daemon's disk reserve, process output is dropped (with a marker) rather than stored. */
    private readonly reserve?: { readonly belowReserve: boolean },
    /** The containers' live sandboxes (mode bwrap): commands start inside them, not in one bwrap each. */
    private readonly pool?: SandboxPool,
  ) {
    mkdirSync(logDir, { recursive: true, mode: 0o700 });
    this.records = new ProcessHistory(repo, onError);
  }

  private closed = false;
  /** Routes webcontainer containers' commands to their workbench page (set once the hub exists). */
  workbench: Pick<WorkbenchHub, 'route'> | undefined;

  private readonly refuseOutput = () =>
    this.reserve?.belowReserve ? 'the disk is below the daemon reserve (DISCO_DISK_RESERVE_MB)' : undefined;

  /** Kills every running process and waits (bounded) so their end is recorded before the database closes. */
  async shutdown(graceMs = 2000): Promise<void> {
    const running = [...this.live.values()].filter((p) => p.running);
    for (const p of running) p.kill('SIGKILL');
    await Promise.race([Promise.all(running.map((p) => p.done)), new Promise((r) => setTimeout(r, graceMs).unref())]);
    this.records.close(); // what still runs is recorded running: the next start marks it lost
    this.closed = true;
  }

  /**
   * After a crash: processes a previous daemon left running are killed (a pid counts only if its
   * environment still names the container, so a recycled pid is never hit) and their records marked lost.
   */
  reconcile(): { lost: number; killed: number } {
    let killed = 0;
    let lost = 0;
    for (const row of this.repo.listRunning()) {
      // Another process on the same $DISCO_HOME (`disco mcp` beside `disco serve`) owns its own rows.
      if (row.daemonPid !== null && row.daemonPid !== process.pid && processAlive(row.daemonPid)) continue;
      if (row.pid !== null && runsForContainer(row.pid, row.containerId)) {
        try {
          process.kill(-row.pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
        killed++;
      }
      if (this.repo.markLost(row.id, Date.now())) lost++;
    }
    return { lost, killed };
  }

  start(spec: StartSpec, env: Record<string, string>): Promise<ManagedProcess> {
    const [file, args] = spec.shell
      ? ['/bin/sh', ['-c', typeof spec.command === 'string' ? spec.command : spec.command.join(' ')]]
      : Array.isArray(spec.command)
        ? [spec.command[0] as string, spec.command.slice(1)]
        : [spec.command, []];
    // A one-off bwrap reports a missing program only as an exit status; a live sandbox's supervisor
    // reports ENOENT itself (spawnChild maps it), so the PATH walk is spared on that hot path.
    const page = this.workbench?.route(spec.containerId);
    page?.catch(() => {});
    if (!page && this.sandbox.mode === 'bwrap' && !this.pool && !findExecutable(file, spec.cwdAbs, env.PATH ?? '')) {
      return Promise.reject(new DiscoError('command_not_found', `command not found: ${file}`, { command: file }));
    }
    const stdin = spec.interactive || spec.stdin !== undefined;
    const started = page
      ? page
          .then((box) => box.spawn({ argv: [file, ...args], cwd: spec.cwdAbs, env, stdin }))
          .catch((err: unknown) => {
            if (err instanceof DiscoError && err.code === 'command_not_found')
              throw new DiscoError('command_not_found', `command not found: ${file}`, { command: file });
            throw err;
          })
      : this.spawnChild(spec, env, file, args, stdin);
    return started.then((child) => {
      const id = newProcessId();
      const p = new ManagedProcess(
        id,
        spec,
        child,
        new OutputLog(this.logDir, id, this.logCapBytes, 1000, this.refuseOutput),
      );
      const row: NewProcessRow = {
        id,
        containerId: spec.containerId,
        ownerId: spec.ownerId,
        command: spec.command,
        shell: spec.shell,
        cwd: spec.cwdRel,
        // A pid inside a container's sandbox means nothing on the host (nor after a restart).
        pid: page || (this.pool && this.sandbox.mode === 'bwrap') ? null : (child.pid ?? null),
        startedAt: p.startedAt,
        background: spec.background === true,
      };
      this.records.started(row, row.pid === null);
      this.table.add(spec.containerId, child);
      this.live.set(id, p);
      p.attach((ended) => {
        if (this.closed) return; // the database may be gone; the next start marks it lost
        this.records.ended(ended.id, {
          status: ended.status,
          exitCode: ended.exitCode,
          signal: ended.signal,
          endedAt: ended.endedAt ?? Date.now(),
        });
        if (this.live.has(ended.id)) this.forgetOld(spec.containerId, ended.id);
      });
      child.stdin?.on('error', () => {}); // EPIPE when the command does not read its input
      if (spec.stdin !== undefined) {
        child.stdin?.write(spec.stdin);
        if (!spec.interactive) child.stdin?.end();
      }
      return p;
    });
  }

  /** Starts the command: in the container's live sandbox (mode bwrap), else wrapped and spawned here. */
  private async spawnChild(
    spec: StartSpec,
    env: Record<string, string>,
    file: string,
    args: string[],
    stdin: boolean,
  ): Promise<RunningChild> {
    const network = asNetworkMode(spec.network);
    if (this.pool && this.sandbox.mode === 'bwrap') {
      const box = await this.pool.get({ containerId: spec.containerId, root: spec.root, network });
      try {
        return await box.spawn({ argv: [file, ...args], cwd: spec.cwdAbs, env, stdin });
      } catch (err) {
        if (err instanceof DiscoError && err.code === 'command_not_found')
          throw new DiscoError('command_not_found', `command not found: ${file}`, { command: file });
        if (err instanceof DiscoError && err.code === 'not_executable')
          throw new DiscoError('not_executable', `permission denied: ${file} is not executable`, { command: file });
        throw err;
      }
    }
    const confined = this.sandbox.wrap(file, args, {
      root: spec.root,
      cwd: spec.cwdAbs,
      network,
      container: spec.containerId,
    });
    const child = spawn(confined.file, confined.args, {
      cwd: spec.cwdAbs,
      env,
      detached: true,
      stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    return new Promise((resolve, reject) => {
      child.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT')
          reject(new DiscoError('command_not_found', `command not found: ${file}`, { command: file }));
        else if (err.code === 'EACCES')
          reject(new DiscoError('not_executable', `permission denied: ${file} is not executable`, { command: file }));
        else reject(err);
      });
      child.once('spawn', () => resolve(localChild(child)));
    });
  }

  /** A remembered process of this owner, or undefined (others' processes are not found). */
  get(ownerId: string, id: string): ManagedProcess | undefined {
    const p = this.live.get(id);
    return p && p.spec.ownerId === ownerId ? p : undefined;
  }

  running(containerId: string): ManagedProcess[] {
    return [...this.live.values()].filter((p) => p.spec.containerId === containerId && p.running);
  }

  /** Containers with a command started in the foreground still running: use, for the idle reaper. */
  foregroundContainers(): Set<string> {
    const ids = new Set<string>();
    for (const p of this.live.values()) if (p.running && !p.spec.background) ids.add(p.spec.containerId);
    return ids;
  }

  history(containerId: string, limit: number): ProcessRow[] {
    this.records.flush(true);
    return this.repo.listByContainer(containerId, limit);
  }

  /** Drops a deleted container's processes, logs and history. */
  removeContainer(containerId: string): void {
    for (const [id, p] of this.live) {
      if (p.spec.containerId !== containerId) continue;
      p.kill('SIGKILL');
      p.log.remove();
      this.live.delete(id);
      this.records.forget([id]);
    }
    this.finished.delete(containerId);
    this.repo.removeContainer(containerId);
  }

  /** Finished processes beyond the newest few to end in each container are forgotten and their logs removed. */
  private forgetOld(containerId: string, id: string): void {
    let ids = this.finished.get(containerId);
    if (!ids) {
      ids = [];
      this.finished.set(containerId, ids);
    }
    ids.push(id);
    while (ids.length > MAX_REMEMBERED_PER_CONTAINER) {
      const old = ids.shift() as string;
      this.live.get(old)?.log.remove();
      this.live.delete(old);
    }
  }
}

/** Perf: the random part of process ids, drawn 512 at a time (one getrandom, not one per process). */
let idBytes = Buffer.alloc(0);
let idAt = 0;
function newProcessId(): string {
  if (idAt + 9 > idBytes.length) {
    idBytes = randomBytes(9 * 512);
    idAt = 0;
  }
  idAt += 9;
  return `proc_${idBytes.toString('base64url', idAt - 9, idAt)}`;
}

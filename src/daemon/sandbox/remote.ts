import { EventEmitter } from 'node:events';
import { PassThrough, Writable } from 'node:stream';
import { DiscoError } from '../errors.js';
import type { ChildEnd, RunningChild } from './child.js';
import type { Request } from './protocol.js';

/** What a remote process needs from its sandbox: a way to send it requests. */
export type Send = (req: Request) => void;

/** A process the supervisor started: output arrives as events, input and signals go as requests. */
export class RemoteChild implements RunningChild {
  pid: number | undefined;
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly stdin: Writable | null;
  private readonly events = new EventEmitter<{ exit: []; close: [ChildEnd] }>();
  private ended: ChildEnd | undefined;
  private closed: ChildEnd | undefined;

  constructor(
    readonly id: string,
    private readonly send: Send,
    withStdin: boolean,
  ) {
    this.stdin = withStdin
      ? new Writable({
          write: (chunk: Buffer, _enc, cb) => {
            this.send({ t: 'input', id, d: chunk.toString('base64') });
            cb();
          },
          final: (cb) => {
            this.send({ t: 'eof', id });
            cb();
          },
        })
      : null;
  }

  /** @internal output from the supervisor */
  output(stream: 1 | 2, data: Buffer): void {
    (stream === 1 ? this.stdout : this.stderr).write(data);
  }

  /** @internal the end, from the supervisor or (lost) from the sandbox's death */
  end(end: ChildEnd): void {
    if (this.ended) return;
    this.ended = end;
    this.stdout.end();
    this.stderr.end();
    this.stdin?.destroy();
    this.events.emit('exit');
    // Closed once the consumer has read both streams to their end (events may all arrive in one chunk,
    // before anyone listens: nothing is dropped or signalled early).
    let open = 2;
    const done = () => {
      if (--open === 0) {
        this.closed = end;
        this.events.emit('close', end);
      }
    };
    this.stdout.once('end', done);
    this.stderr.once('end', done);
  }

  onExit(cb: () => void): void {
    if (this.ended) queueMicrotask(cb);
    else this.events.once('exit', cb);
  }

  onClose(cb: (end: ChildEnd) => void): void {
    const closed = this.closed;
    if (closed) queueMicrotask(() => cb(closed));
    else this.events.once('close', cb);
  }

  killGroup(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.ended) this.send({ t: 'signal', id: this.id, sig: signal });
  }
}

/**
 * The PTY interface terminals use, implemented by node-pty (no sandbox, see terminals/local-pty.ts) and
 * by a terminal the supervisor runs inside the container's sandbox.
 */
export interface Pty {
  readonly pid: number;
  readonly cols: number;
  readonly rows: number;
  /** Name of the foreground program. */
  readonly process: string;
  onData(cb: (data: string) => void): void;
  onExit(cb: (e: { exitCode: number; signal?: number | undefined }) => void): void;
  write(data: string): void;
  resize(cols: number, rows: number): void;
  /** Kills the terminal's whole session. */
  kill(signal?: string): void;
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

export class RemotePty implements Pty {
  pid = 0;
  process = '';
  private readonly events = new EventEmitter<{
    data: [string];
    exit: [{ exitCode: number; signal?: number | undefined }];
  }>();
  private done = false;
  /** Output and end that arrive before the terminal listens (they may come in the same chunk as its start). */
  private early: string[] | undefined = [];
  private exited: { exitCode: number; signal?: number | undefined } | undefined;

  constructor(
    readonly id: string,
    private readonly send: Send,
    public cols: number,
    public rows: number,
  ) {}

  /** @internal */
  data(d: string): void {
    if (this.early) this.early.push(d);
    else this.events.emit('data', d);
  }

  /** @internal */
  end(end: ChildEnd): void {
    if (this.done) return;
    this.done = true;
    const signal = end.signal === null ? undefined : (SIGNAL_NUMBERS[end.signal] ?? 9);
    this.exited = { exitCode: end.code ?? (end.lost ? -1 : 0), signal };
    this.events.emit('exit', this.exited);
  }

  onData(cb: (data: string) => void): void {
    this.events.on('data', cb);
    const early = this.early;
    this.early = undefined;
    for (const d of early ?? []) cb(d);
  }

  onExit(cb: (e: { exitCode: number; signal?: number | undefined }) => void): void {
    const exited = this.exited;
    if (exited) queueMicrotask(() => cb(exited));
    else this.events.once('exit', cb);
  }

  write(data: string): void {
    if (!this.done) this.send({ t: 'input', id: this.id, d: data });
  }

  resize(cols: number, rows: number): void {
    this.cols = cols;
    this.rows = rows;
    if (!this.done) this.send({ t: 'resize', id: this.id, cols, rows });
  }

  kill(signal = 'SIGKILL'): void {
    if (!this.done) this.send({ t: 'signal', id: this.id, sig: signal });
  }
}

/** The typed error of a process that could not start in the sandbox (its errno code and message). */
export function spawnError(code: string, message: string): DiscoError {
  if (code === 'ENOENT') return new DiscoError('command_not_found', 'command not found', {});
  if (code === 'EACCES') return new DiscoError('not_executable', 'permission denied');
  return new DiscoError('unavailable', `cannot start the command: ${message.slice(0, 200)}`);
}

const SIGNALS: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 9: 'SIGKILL', 15: 'SIGTERM' };

/** The name of the signal that ended a process (number from the spawner), null for none. */
export function signalName(n: number): string | null {
  return n === 0 ? null : (SIGNALS[n] ?? `SIG${n}`);
}

/** What a remote process reports of itself: output, its terminal's data, its end (a signal by number or name). */
export type ProcessReport =
  | { t: 'out'; id: string; s: 1 | 2; d: string }
  | { t: 'tty'; id: string; d: string }
  | { t: 'exit'; id: string; code: number | null; signal: string | number | null };

/** Hands a report to the process it is for (an exit also forgets it); a report for no process is dropped. */
export function deliverReport(procs: Map<string, RemoteChild | RemotePty>, ev: ProcessReport): void {
  const p = procs.get(ev.id);
  if (ev.t === 'out') {
    if (p instanceof RemoteChild) p.output(ev.s, Buffer.from(ev.d, 'base64'));
  } else if (ev.t === 'tty') {
    if (p instanceof RemotePty) p.data(ev.d);
  } else {
    procs.delete(ev.id);
    const signal = typeof ev.signal === 'number' ? signalName(ev.signal) : ev.signal;
    p?.end({ code: ev.code, signal, lost: false });
  }
}

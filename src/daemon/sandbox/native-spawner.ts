import type { ChildProcess } from 'node:child_process';
import { Socket } from 'node:net';
import { constants } from 'node:os';
import { asEvent, type Event, type Request } from './protocol.js';

/** The longest request line the spawner takes (MAX_LINE in spawner.c). */
const MAX_LINE = 8 * 1024 * 1024;
/** How long the spawner has to greet and start `true` before Node starts the processes instead. */
const CHECK_TIMEOUT_MS = 5_000;
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const CHECK_ID = '0check';
/** The supervisor watches ports while its processes ran this recently (it does not see them start). */
const WATCH_LINGER_MS = 2_000;

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** Environment entries whose base64 is remembered (per spawner), and the longest one: ~80 KB at most each. */
const ENV_MEMO_ENTRIES = 64;
const ENV_MEMO_CHARS = 512;

/**
 * The `sh -c` script that starts a sandbox's first processes: the native spawner in the background on
 * the daemon's IPC channel (fd 4 becomes its stdin and stdout; the shell closes its own copy at once and
 * nothing else keeps it), then the supervisor in the shell's place (same pid, so the spawner's parent is
 * the supervisor, as its guard expects). Node's channel variables are not passed on (the supervisor would
 * take fd 4 for its own). `$0` spawner, `$1` CPU seconds, `$2` egress port (0: none), then the supervisor.
 */
const WITH_SPAWNER =
  'unset NODE_CHANNEL_FD NODE_CHANNEL_SERIALIZATION_MODE; "$0" "$1" "$2" <&4 >&4 2>/dev/null 4<&- & exec 4<&-; shift 2; exec "$@"';

/** Perf: the sandbox's command that starts the spawner at once, beside the (slow to start) supervisor. */
export function withSpawnerArgv(
  sh: string,
  spawner: string,
  cpuSeconds: number,
  egressPort: number,
  supervisor: string[],
): string[] {
  return [sh, '-c', WITH_SPAWNER, spawner, String(cpuSeconds), String(egressPort), ...supervisor];
}

/** The spawner's channel is this file descriptor of the sandbox's first process (a Node IPC channel). */
export const SPAWNER_FD = 4;

export interface NativeSpawnerHooks {
  /** An event about a process it started (spawned, out, error, exit). */
  event: (ev: Event) => void;
  /** It passed its self-check (`true` started and exited 0), or it cannot be used (`reason`). */
  settled: (reason: string | undefined) => void;
  /** It ended after its self-check: `live` are the ids (and in-sandbox pids) of what it still ran. */
  ended: (live: Map<string, number | undefined>) => void;
  /** A connection to the egress port inside the sandbox, handed over as it is (no copy inside). */
  egress: (socket: Socket) => void;
  /** It does not (or no longer) take egress connections: the supervisor should listen instead. Once. */
  egressLost: () => void;
  /**
   * Its processes run (`true`: the supervisor should poll the namespace's ports), or none has for
   * WATCH_LINGER_MS (so a run of short commands is one `true`, not two messages each).
   */
  watch: (on: boolean) => void;
}

/**
 * The daemon's side of a sandbox's native spawner (spawner.c), on its own channel (a Node IPC channel, so
 * it can hand over egress connections): requests are its space-separated lines, events are the daemon's
 * JSON lines. It is checked once (a greeting, then `true` must start and exit 0) before any command goes
 * to it. Security: its events are validated like the supervisor's (asEvent; only the events a spawner
 * sends are taken), only ids it started are sent on, and a handed-over descriptor is taken only as a
 * socket (any other is closed).
 */
export class NativeSpawner {
  state: 'checking' | 'ready' | 'failed' = 'checking';
  private readonly live = new Map<string, number | undefined>();
  private readonly timer: NodeJS.Timeout;
  private watching = false;
  private unwatch: NodeJS.Timeout | undefined;
  private egressTaken = false;
  /**
   * Perf: base64 of `k=v` entries seen before. A container's commands mostly share their environment
   * (PATH, HOME, the egress proxy's variables...), which was encoded again for every command. Bounded:
   * short entries only, and it starts over when full.
   */
  private readonly envMemo = new Map<string, string>();

  constructor(
    private readonly child: ChildProcess,
    private readonly hooks: NativeSpawnerHooks,
  ) {
    this.timer = setTimeout(() => this.fail('the spawner did not pass its self-check in time'), CHECK_TIMEOUT_MS);
    child.on('message', (msg: unknown, handle: unknown) => this.message(msg, handle));
    child.once('disconnect', () => this.closed());
  }

  private write(line: string): void {
    if (this.child.connected) this.child.send(line, noop);
  }

  private message(msg: unknown, handle: unknown): void {
    if (handle !== undefined) {
      if (handle instanceof Socket && (msg as { t?: unknown })?.t === 'egress') this.hooks.egress(handle);
      else {
        const other = handle as { destroy?: () => void; close?: () => void };
        if (other.destroy) other.destroy();
        else other.close?.();
      }
      return;
    }
    if (this.state === 'checking') {
      this.check(msg);
      return;
    }
    if (this.state !== 'ready') return;
    const ev = asEvent(msg);
    if (!ev) return;
    if (ev.t === 'spawned') {
      if (!this.live.has(ev.id)) return;
      this.live.set(ev.id, ev.pid);
    } else if (ev.t === 'exit' || ev.t === 'error') {
      if (!this.live.delete(ev.id)) return;
      if (this.live.size === 0) this.idle();
    } else if (ev.t !== 'out' && ev.t !== 'log') return;
    this.hooks.event(ev);
  }

  private loseEgress(): void {
    if (this.egressTaken) return;
    this.egressTaken = true;
    this.hooks.egressLost();
  }

  get ready(): boolean {
    return this.state === 'ready';
  }

  /** True when `id` is a process it runs (its input and signals go to it). */
  has(id: string): boolean {
    return this.live.has(id);
  }

  /** Starts a piped process; false when it cannot take it (then the caller uses the supervisor). */
  start(req: Extract<Request, { t: 'spawn' }>): boolean {
    if (!this.ready || !ID.test(req.id) || req.argv.length === 0) return false;
    const env = Object.entries(req.env).map(([k, v]) => this.envEntry(`${k}=${v}`));
    const argv = req.argv.map(b64);
    const line = `S ${req.id} ${req.stdin ? 1 : 0} ${b64(req.cwd)} ${argv.length} ${argv.join(' ')} ${env.length} ${env.join(' ')}`;
    if (line.length > MAX_LINE) {
      this.hooks.event({ t: 'error', id: req.id, code: 'E2BIG', message: 'argument list too long' });
      return true;
    }
    this.live.set(req.id, undefined);
    this.write(line);
    clearTimeout(this.unwatch);
    if (!this.watching) {
      this.watching = true;
      this.hooks.watch(true);
    }
    return true;
  }

  private envEntry(entry: string): string {
    if (entry.length > ENV_MEMO_CHARS) return b64(entry);
    let coded = this.envMemo.get(entry);
    if (coded === undefined) {
      if (this.envMemo.size >= ENV_MEMO_ENTRIES) this.envMemo.clear();
      coded = b64(entry);
      this.envMemo.set(entry, coded);
    }
    return coded;
  }

  /** Input, end of input or a signal for one of its processes; false when `req` is not for it. */
  send(req: Request): boolean {
    if (!('id' in req) || !this.live.has(req.id) || req.t === 'spawn') return false;
    if (req.t === 'input' && BASE64.test(req.d)) this.write(`I ${req.id} ${req.d}`);
    else if (req.t === 'eof') this.write(`E ${req.id}`);
    else if (req.t === 'signal') {
      const signo = (constants.signals as Record<string, number | undefined>)[req.sig];
      if (signo) this.write(`K ${req.id} ${signo}`);
    }
    return true;
  }

  /** Ends it (its processes with it: it kills them when its input closes). */
  close(): void {
    clearTimeout(this.timer);
    clearTimeout(this.unwatch);
    if (this.child.connected) this.child.disconnect();
  }

  /** The self-check: the greeting, then `true` started and exited 0 (fork, exec, pipes and reaping work). */
  private check(msg: unknown): void {
    const hello = msg as { t?: unknown; egress?: unknown } | null;
    if (hello?.t === 'spawner') {
      if (hello.egress !== true) this.loseEgress();
      const env = [b64('PATH=/usr/bin:/bin')];
      this.write(`S ${CHECK_ID} 0 ${b64('/')} 1 ${b64('true')} 1 ${env.join(' ')}`);
      return;
    }
    const ev = asEvent(msg);
    if (ev?.t === 'exit' && ev.id === CHECK_ID) {
      if (ev.code !== 0) {
        this.fail(`the spawner's self-check exited ${ev.code ?? ev.signal}`);
        return;
      }
      clearTimeout(this.timer);
      this.state = 'ready';
      this.hooks.settled(undefined);
    } else if (ev?.t === 'error' && ev.id === CHECK_ID) this.fail(`the spawner's self-check failed: ${ev.code}`);
  }

  private idle(): void {
    clearTimeout(this.unwatch);
    this.unwatch = setTimeout(() => {
      this.watching = false;
      this.hooks.watch(false);
    }, WATCH_LINGER_MS);
    this.unwatch.unref();
  }

  private fail(reason: string): void {
    if (this.state !== 'checking') return;
    this.state = 'failed';
    clearTimeout(this.timer);
    if (this.child.connected) this.child.disconnect();
    this.loseEgress();
    this.hooks.settled(reason);
  }

  private closed(): void {
    clearTimeout(this.timer);
    clearTimeout(this.unwatch);
    if (this.state === 'checking') {
      this.fail('the spawner exited during its self-check');
      return;
    }
    if (this.state !== 'ready') return;
    this.state = 'failed';
    const live = new Map(this.live);
    this.live.clear();
    if (this.watching) this.hooks.watch(false);
    this.loseEgress();
    this.hooks.ended(live);
  }
}

function noop(): void {}

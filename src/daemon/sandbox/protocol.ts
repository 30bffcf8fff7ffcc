/**
 * Frames between the daemon and a container's supervisor (supervisor.cjs): one JSON object per line on
 * the supervisor's stdin (requests) and stdout (events). Pipe output travels base64, PTY output as text.
 * The native spawner's events (spawned, error, out, exit, log) are these too, on its own channel
 * (native-spawner.ts); its requests are its own lines (spawner.c).
 */
export type Request =
  | {
      t: 'spawn';
      id: string;
      argv: string[];
      cwd: string;
      env: Record<string, string>;
      stdin: boolean;
      pty?: boolean;
      cols?: number;
      rows?: number;
    }
  /** `d`: base64 for pipes, text for a PTY. */
  | { t: 'input'; id: string; d: string }
  | { t: 'eof'; id: string }
  | { t: 'resize'; id: string; cols: number; rows: number }
  /** To the process group (the PTY's session). */
  | { t: 'signal'; id: string; sig: string }
  | { t: 'dial'; port: number; tag: string }
  | { t: 'ports'; req: number }
  /** Processes of the native spawner run (`on`) or ran a while ago: watch the namespace's ports. */
  | { t: 'watch'; on: boolean }
  /** Listen on the egress port now: the native spawner does not (it failed, ended or could not bind). */
  | { t: 'egress' }
  /** The native spawner ended: kill the groups of what it ran, and report each killed (`exit`). */
  | { t: 'kill'; procs: { id: string; pid: number }[] };

export interface PortInfo {
  port: number;
  address: string;
  pid: number | null;
  command: string | null;
}

export type Event =
  | { t: 'ready'; pid: number }
  | { t: 'spawned'; id: string; pid: number }
  | { t: 'error'; id: string; code: string; message: string }
  | { t: 'out'; id: string; s: 1 | 2; d: string }
  | { t: 'tty'; id: string; d: string }
  | { t: 'fg'; id: string; name: string }
  | { t: 'exit'; id: string; code: number | null; signal: string | number | null }
  | { t: 'dialed'; tag: string; ok: boolean; code?: string }
  | { t: 'port'; port: number; open: boolean; pid: number | null }
  | { t: 'ports'; req: number; list: PortInfo[] }
  | { t: 'log'; message: string };

/** The longest frame the daemon accepts (the supervisor sends output in chunks far below it). */
export const MAX_FRAME_BYTES = 1024 * 1024;

const str = (v: unknown): v is string => typeof v === 'string';
const int = (v: unknown): v is number => Number.isInteger(v);
const intOrNull = (v: unknown): v is number | null => v === null || Number.isInteger(v);
const strOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';

function validPort(p: unknown): p is PortInfo {
  const o = p as PortInfo;
  return (
    typeof p === 'object' && p !== null && int(o.port) && str(o.address) && intOrNull(o.pid) && strOrNull(o.command)
  );
}

/**
 * Parses one frame from a supervisor. Security: the supervisor runs inside the container, and the
 * container's processes (same uid) can write to its pipes through /proc, so a frame is hostile input: any
 * frame that is not exactly one of the events above is dropped (it can only ever concern its own container).
 */
export function parseEvent(line: string): Event | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  return asEvent(v);
}

/** `v` (a parsed frame) when it is exactly one of the events above, else undefined. */
export function asEvent(v: unknown): Event | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const e = v as Record<string, unknown>;
  const ok = (() => {
    switch (e.t) {
      case 'ready':
        return int(e.pid);
      case 'spawned':
        return str(e.id) && int(e.pid);
      case 'error':
        return str(e.id) && str(e.code) && str(e.message);
      case 'out':
        return str(e.id) && (e.s === 1 || e.s === 2) && str(e.d);
      case 'tty':
        return str(e.id) && str(e.d);
      case 'fg':
        return str(e.id) && str(e.name);
      case 'exit':
        return str(e.id) && intOrNull(e.code) && (strOrNull(e.signal) || int(e.signal));
      case 'dialed':
        return str(e.tag) && typeof e.ok === 'boolean' && (e.code === undefined || str(e.code));
      case 'port':
        return int(e.port) && typeof e.open === 'boolean' && intOrNull(e.pid);
      case 'ports':
        return int(e.req) && Array.isArray(e.list) && e.list.length <= 65536 && e.list.every(validPort);
      case 'log':
        return str(e.message);
      default:
        return false;
    }
  })();
  return ok ? (v as Event) : undefined;
}

/**
 * Splits a supervisor's stdout into frames without ever holding more than MAX_FRAME_BYTES of one line:
 * `onOverflow` is called (once) when a line grows past it, and nothing more is read.
 */
export class FrameSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private overflowed = false;

  constructor(
    private readonly onFrame: (line: string) => void,
    private readonly onOverflow: () => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.overflowed) return;
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      const line = this.size === 0 ? piece : Buffer.concat([...this.parts, piece]);
      this.parts = [];
      this.size = 0;
      start = nl + 1;
      if (line.length > MAX_FRAME_BYTES) {
        this.overflow();
        return;
      }
      this.onFrame(line.toString('utf8'));
    }
    if (start < chunk.length) {
      this.parts.push(chunk.subarray(start));
      this.size += chunk.length - start;
      if (this.size > MAX_FRAME_BYTES) this.overflow();
    }
  }

  private overflow(): void {
    this.overflowed = true;
    this.parts = [];
    this.onOverflow();
  }
}

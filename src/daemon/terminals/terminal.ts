import { EventEmitter } from 'node:events';
import type { Pty } from '../sandbox/remote.js';
import { LineGuard } from './line-guard.js';

export interface TerminalSpec {
  containerId: string;
  ownerId: string;
  /** What runs in the terminal (after the sandbox wrapper), for listings. */
  command: string[];
  /** Name of the shell program: input lines are checked by the policy only while it has the terminal. */
  shellName: string;
  /** What erases a refused line the shell already holds (default Ctrl-U). */
  eraseLine?: string;
}

export interface TerminalInfo {
  id: string;
  containerId: string;
  command: string[];
  cols: number;
  rows: number;
  running: boolean;
  exitCode: number | null;
  signal: number | null;
  /** Sockets attached now. */
  attached: number;
  /** Offset of the end of the output so far (reattach with it to miss nothing). */
  offset: number;
  createdAt: string;
}

/**
 * One PTY with its scrollback: output is kept in a bounded buffer addressed by absolute offsets, so a
 * client that reattaches after a dropped connection asks for what it missed and gets it exactly once.
 */
export class Terminal extends EventEmitter<{ output: [data: string, offset: number]; exit: [] }> {
  readonly createdAt = Date.now();
  readonly guard = new LineGuard();
  exitCode: number | null = null;
  signal: number | null = null;
  running = true;
  attached = 0;
  /** When the last socket detached (or the terminal exited): the manager reaps terminals left alone. */
  aloneSince: number | undefined = Date.now();
  private buffer = '';
  private bufferStart = 0;
  private end = 0;

  constructor(
    readonly id: string,
    readonly spec: TerminalSpec,
    readonly pty: Pty,
    private readonly scrollbackChars: number,
  ) {
    super();
    pty.onData((data) => {
      this.buffer += data;
      this.end += data.length;
      const excess = this.buffer.length - this.scrollbackChars;
      if (excess > 0) {
        this.buffer = this.buffer.slice(excess);
        this.bufferStart += excess;
      }
      this.emit('output', data, this.end);
    });
    pty.onExit(({ exitCode, signal }) => {
      this.running = false;
      this.exitCode = exitCode;
      this.signal = signal ?? null;
      this.aloneSince = Date.now();
      this.emit('exit');
    });
  }

  get offset(): number {
    return this.end;
  }

  /** Output from `since` (clamped to what the scrollback still holds) to now. */
  read(since = 0): { data: string; from: number; offset: number } {
    const from = Math.min(Math.max(since, this.bufferStart), this.end);
    return { data: this.buffer.slice(from - this.bufferStart), from, offset: this.end };
  }

  /** Name of the program in the terminal's foreground (the shell, or what it started). */
  get foreground(): string {
    try {
      return this.pty.process;
    } catch {
      return '';
    }
  }

  write(data: string): void {
    if (this.running) this.pty.write(data);
  }

  resize(cols: number, rows: number): void {
    if (this.running) this.pty.resize(cols, rows);
  }

  /** Kills the whole session (the PTY's child leads its own process group). */
  kill(): void {
    if (this.running) this.pty.kill('SIGKILL');
  }

  info(): TerminalInfo {
    return {
      id: this.id,
      containerId: this.spec.containerId,
      command: this.spec.command,
      cols: this.pty.cols,
      rows: this.pty.rows,
      running: this.running,
      exitCode: this.exitCode,
      signal: this.signal,
      attached: this.attached,
      offset: this.end,
      createdAt: new Date(this.createdAt).toISOString(),
    };
  }
}

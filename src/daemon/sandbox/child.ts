import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

/** How a process ended; `lost` when its sandbox died under it (nothing knows its real end). */
export interface ChildEnd {
  code: number | null;
  signal: string | null;
  lost: boolean;
}

/**
 * A started command, wherever it runs: a direct child of the daemon (no sandbox) or a process the
 * container's supervisor started inside its sandbox. Its pid is only meaningful where it runs.
 */
export interface RunningChild {
  readonly pid: number | undefined;
  readonly stdin: Writable | null;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** The leader exited (its pipes may still be open). */
  onExit(cb: () => void): void;
  /** The leader exited and its output is drained. */
  onClose(cb: (end: ChildEnd) => void): void;
  /** Signals the whole process group. */
  killGroup(signal?: NodeJS.Signals): void;
}

/** Kills a process group; the leader was spawned `detached`, so its pid is the group id. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** A spawned (detached, piped) ChildProcess as a RunningChild. */
export function localChild(child: ChildProcess): RunningChild {
  if (!child.stdout || !child.stderr) throw new Error('a command child needs stdout and stderr pipes');
  const { stdout, stderr } = child;
  return {
    pid: child.pid,
    stdin: child.stdin,
    stdout,
    stderr,
    onExit: (cb) => child.once('exit', () => cb()),
    onClose: (cb) => child.once('close', (code, signal) => cb({ code, signal, lost: false })),
    killGroup: (signal = 'SIGKILL') => killGroup(child.pid, signal),
  };
}

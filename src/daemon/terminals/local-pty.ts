import pty from '@lydell/node-pty';
import type { Pty } from '../sandbox/remote.js';

/** A PTY spawned here with node-pty (no live sandbox): kill ends its whole session. */
export function localPty(
  file: string,
  args: string[],
  opts: { cols: number; rows: number; cwd: string; env: Record<string, string> },
): Pty {
  const p = pty.spawn(file, args, { name: 'xterm-256color', ...opts });
  return {
    get pid() {
      return p.pid;
    },
    get cols() {
      return p.cols;
    },
    get rows() {
      return p.rows;
    },
    get process() {
      return p.process;
    },
    onData: (cb) => {
      p.onData(cb);
    },
    onExit: (cb) => {
      p.onExit(cb);
    },
    write: (data) => p.write(data),
    resize: (cols, rows) => p.resize(cols, rows),
    kill: (signal = 'SIGKILL') => {
      try {
        process.kill(-p.pid, signal as NodeJS.Signals);
      } catch {
        p.kill(signal);
      }
    },
  };
}

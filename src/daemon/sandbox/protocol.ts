/**
 * Frames between the daemon and a container's supervisor (supervisor.cjs): one JSON object per line on
 * the supervisor's stdin (requests) and stdout (events). Pipe output travels base64, PTY output as text.
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
  | { t: 'ports'; req: number };

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

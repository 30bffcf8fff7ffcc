import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { DiscoError } from '../errors.js';
import { resolveInWorkspace } from './paths.js';
import { killGroup, type ProcessTable } from './process-table.js';

export interface ExecRequest {
  containerId: string;
  root: string;
  command: string | string[];
  shell: boolean;
  cwd: string;
  env: Record<string, string>;
  stdin?: string;
  timeoutMs: number;
  maxOutputBytes: number;
  signal?: AbortSignal;
  /** Called about every `progressEveryMs` while the command runs (MCP progress notifications). */
  onProgress?: (p: { elapsedMs: number; outputBytes: number }) => void;
  progressEveryMs?: number;
}

export interface ExecResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  cancelled: boolean;
  truncated: boolean;
}

/**
 * The environment a command sees. Security: the daemon's own environment (tokens, keys, cloud creds)
 * is never inherited; only PATH and locale pass through, plus what the caller sets explicitly.
 */
export function commandEnv(root: string, containerId: string, extra: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: root,
    LANG: process.env.LANG ?? 'C.UTF-8',
    TERM: 'dumb',
    DISCO_CONTAINER_ID: containerId,
    ...extra,
  };
}

/** Collects a stream up to `cap` bytes and remembers whether anything was dropped. */
class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  dropped = false;
  /** Bytes seen, kept or not. */
  seen = 0;

  constructor(private readonly cap: number) {}

  push(chunk: Buffer): void {
    this.seen += chunk.length;
    const room = this.cap - this.size;
    if (room <= 0) {
      this.dropped = true;
      return;
    }
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (part.length < chunk.length) this.dropped = true;
    this.chunks.push(part);
    this.size += part.length;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/**
 * Runs one command to completion in its own process group, without a shell unless asked.
 * A timeout or cancellation kills the whole group; so does the leader's exit, so nothing a
 * foreground command leaves behind outlives it (background processes come with the processes issue).
 */
export async function runCommand(req: ExecRequest, table: ProcessTable): Promise<ExecResult> {
  const cwd = await resolveInWorkspace(req.root, req.cwd);
  const cwdStat = await stat(cwd.abs).catch(() => undefined);
  if (!cwdStat) throw new DiscoError('not_found', `cwd '${req.cwd}' not found`, { cwd: req.cwd });
  if (!cwdStat.isDirectory())
    throw new DiscoError('not_a_directory', `cwd '${req.cwd}' is not a directory`, { cwd: req.cwd });

  const [file, args] = req.shell
    ? ['/bin/sh', ['-c', typeof req.command === 'string' ? req.command : req.command.join(' ')]]
    : Array.isArray(req.command)
      ? [req.command[0] as string, req.command.slice(1)]
      : [req.command, []];

  const started = performance.now();
  const child = spawn(file, args, {
    cwd: cwd.abs,
    env: commandEnv(req.root, req.containerId, req.env),
    detached: true,
    stdio: [req.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    windowsHide: true,
  });

  const stdout = new CappedBuffer(req.maxOutputBytes);
  const stderr = new CappedBuffer(req.maxOutputBytes);
  child.stdout?.on('data', (c: Buffer) => stdout.push(c));
  child.stderr?.on('data', (c: Buffer) => stderr.push(c));
  if (req.stdin !== undefined && child.stdin) {
    child.stdin.on('error', () => {}); // EPIPE when the command does not read its input
    child.stdin.end(req.stdin);
  }

  let timedOut = false;
  let cancelled = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid);
  }, req.timeoutMs);
  const onAbort = () => {
    cancelled = true;
    killGroup(child.pid);
  };
  req.signal?.addEventListener('abort', onAbort, { once: true });
  const ticker = req.onProgress
    ? setInterval(() => {
        req.onProgress?.({
          elapsedMs: Math.round(performance.now() - started),
          outputBytes: stdout.seen + stderr.seen,
        });
      }, req.progressEveryMs ?? 1000)
    : undefined;
  const stopTimers = () => {
    clearTimeout(timer);
    clearInterval(ticker);
    req.signal?.removeEventListener('abort', onAbort);
  };

  return new Promise<ExecResult>((resolve, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      stopTimers();
      if (err.code === 'ENOENT') {
        reject(new DiscoError('command_not_found', `command not found: ${file}`, { command: file }));
      } else if (err.code === 'EACCES') {
        reject(new DiscoError('forbidden', `permission denied: ${file}`, { command: file }));
      } else {
        reject(err);
      }
    });
    if (child.pid !== undefined) table.add(req.containerId, child);
    // The leader's exit ends the command; kill the group so leftovers release the output pipes.
    child.once('exit', () => killGroup(child.pid));
    child.once('close', (code, signal) => {
      stopTimers();
      resolve({
        exitCode: code,
        signal,
        stdout: stdout.text(),
        stderr: stderr.text(),
        durationMs: Math.round((performance.now() - started) * 100) / 100,
        timedOut,
        cancelled,
        truncated: stdout.dropped || stderr.dropped,
      });
    });
  });
}

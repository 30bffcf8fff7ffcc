import { type Stats, statSync } from 'node:fs';
import { DiscoError } from '../errors.js';
import type { NetworkMode } from '../sandbox/network-mode.js';
import { resolveInWorkspace } from './paths.js';
import type { ProcessManager } from './process-manager.js';

export interface ExecRequest {
  containerId: string;
  ownerId: string;
  /** Keep running after the call returns (stdin stays open for process_input). */
  background: boolean;
  /** Keep stdin open for process_input though the command runs in the foreground (streamed input). */
  stdinOpen?: boolean;
  /** Return after this long even if the command still runs; undefined waits for the end. */
  waitMs?: number;
  root: string;
  network: NetworkMode;
  command: string | string[];
  shell: boolean;
  cwd: string;
  env: Record<string, string>;
  stdin?: string;
  /** Kill after this long; undefined: never (background commands by default). */
  timeoutMs: number | undefined;
  maxOutputBytes: number;
  signal?: AbortSignal;
  /** Called about every `progressEveryMs` while the command runs (MCP progress notifications). */
  onProgress?: (p: { elapsedMs: number; outputBytes: number }) => void;
  progressEveryMs?: number;
}

export interface ExecResult {
  processId: string;
  /** True when the call returned before the command ended (background, or `wait` elapsed). */
  running: boolean;
  /** Offset in the process's output log after what this result contains (for process_output). */
  nextOffset: number;
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
 * The PATH of everything run in a container: the system's directories only. The daemon's own PATH
 * (node_modules/.bin of the checkout, version managers' shims, the operator's home) never leaks in.
 */
export const CONTAINER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The environment a command sees. Security: the daemon's own environment (tokens, keys, cloud creds,
 * its PATH) is never inherited; only the locale passes through, plus what the caller sets explicitly.
 */
export function commandEnv(root: string, containerId: string, extra: Record<string, string>): Record<string, string> {
  return {
    PATH: CONTAINER_PATH,
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
 * Runs a command in its own process group, without a shell unless asked, and waits for it: until it
 * exits, or at most `waitMs` when given. A command still running then keeps running in the manager
 * (read it with process_output, stop it with process_kill) and the result says `running: true`.
 * A timeout kills the whole group; so does cancellation while the caller waits in the foreground,
 * and the leader's exit, so nothing a command leaves behind outlives it.
 */
export async function runCommand(req: ExecRequest, manager: ProcessManager): Promise<ExecResult> {
  const cwd = await resolveInWorkspace(req.root, req.cwd);
  // Sync: a stat through the thread pool costs more than the stat itself (and this path is hot).
  let cwdStat: Stats | undefined;
  try {
    cwdStat = statSync(cwd.abs, { throwIfNoEntry: false });
  } catch {
    cwdStat = undefined;
  }
  if (!cwdStat) throw new DiscoError('not_found', `cwd '${req.cwd}' not found`, { cwd: req.cwd });
  if (!cwdStat.isDirectory())
    throw new DiscoError('not_a_directory', `cwd '${req.cwd}' is not a directory`, { cwd: req.cwd });

  const started = performance.now();
  const p = await manager.start(
    {
      containerId: req.containerId,
      ownerId: req.ownerId,
      root: req.root,
      cwdAbs: cwd.abs,
      cwdRel: cwd.rel,
      command: req.command,
      shell: req.shell,
      env: req.env,
      ...(req.stdin !== undefined ? { stdin: req.stdin } : {}),
      interactive: req.background || req.stdinOpen === true,
      background: req.background,
      timeoutMs: req.timeoutMs,
      network: req.network,
    },
    commandEnv(req.root, req.containerId, req.env),
  );

  const stdout = new CappedBuffer(req.maxOutputBytes);
  const stderr = new CappedBuffer(req.maxOutputBytes);
  const onOutput = (stream: 'stdout' | 'stderr', text: string) =>
    (stream === 'stdout' ? stdout : stderr).push(Buffer.from(text, 'utf8'));
  p.on('output', onOutput);
  const onAbort = () => p.kill('SIGKILL', 'cancelled');
  if (!req.background) req.signal?.addEventListener('abort', onAbort, { once: true });
  const ticker = req.onProgress
    ? setInterval(() => {
        req.onProgress?.({
          elapsedMs: Math.round(performance.now() - started),
          outputBytes: stdout.seen + stderr.seen,
        });
      }, req.progressEveryMs ?? 1000)
    : undefined;

  let waitTimer: NodeJS.Timeout | undefined;
  const waited =
    req.waitMs === undefined
      ? p.done
      : Promise.race([
          p.done,
          new Promise<void>((r) => {
            waitTimer = setTimeout(r, req.waitMs);
          }),
        ]);
  await waited;
  clearTimeout(waitTimer);
  clearInterval(ticker);
  p.off('output', onOutput);
  req.signal?.removeEventListener('abort', onAbort);
  return {
    processId: p.id,
    running: p.running,
    exitCode: p.exitCode,
    signal: p.signal,
    stdout: stdout.text(),
    stderr: stderr.text(),
    durationMs: Math.round((performance.now() - started) * 100) / 100,
    timedOut: p.timedOut,
    cancelled: p.cancelled,
    truncated: stdout.dropped || stderr.dropped,
    nextOffset: p.log.nextOffset,
  };
}

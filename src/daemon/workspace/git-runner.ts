import { spawn } from 'node:child_process';
import { DiscoError } from '../errors.js';
import { killGroup } from './process-table.js';
import type { Confinement, Sandbox } from './sandbox.js';

export type GitProtocol = 'https' | 'http' | 'file';

export interface GitOptions {
  cwd: string;
  /** Home for git (global config lookups); the workspace, never the daemon's. */
  home: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Transports remotes may use (`file` also covers local paths). */
  protocols: readonly GitProtocol[];
  /** Run git confined like the container's commands (workspace-only writes, its network switch). */
  sandbox?: Sandbox;
  confinement?: Omit<Confinement, 'cwd'>;
  extraEnv?: Record<string, string>;
  onStderr?: (text: string) => void;
  maxOutputBytes?: number;
}

export interface GitResult {
  stdout: Buffer;
  stderr: string;
  exitCode: number | null;
}

/**
 * Security: flags that make git safe to point at a repository nobody vetted. No hooks, no fsmonitor
 * command, no pager or prompts, only https (and file when allowed) for transport, nothing from the
 * system or user config of the daemon's account.
 */
export function safeGitArgs(protocols: readonly GitProtocol[]): string[] {
  return [
    '-c',
    'core.quotepath=false',
    '-c',
    'core.hooksPath=/dev/null',
    '-c',
    'core.fsmonitor=false',
    '-c',
    'core.pager=cat',
    '-c',
    'credential.helper=',
    '-c',
    'protocol.allow=never',
    ...protocols.flatMap((p) => ['-c', `protocol.${p}.allow=always`]),
    '--no-pager',
  ];
}

export function gitEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    LANG: 'C.UTF-8',
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ASKPASS: '/bin/false',
    SSH_ASKPASS: '/bin/false',
    ...extra,
  };
}

/** Runs the real git binary with the safe flags, in its own process group, bounded in time and output. */
export function runGit(args: string[], opts: GitOptions): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const argv = [...safeGitArgs(opts.protocols), ...args];
    let cmd: { file: string; args: string[] } = { file: 'git', args: argv };
    try {
      if (opts.sandbox && opts.confinement)
        cmd = opts.sandbox.wrap('git', argv, { ...opts.confinement, cwd: opts.cwd });
    } catch (err) {
      reject(err);
      return;
    }
    const child = spawn(cmd.file, cmd.args, {
      cwd: opts.cwd,
      env: gitEnv(opts.home, opts.extraEnv),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    const cap = opts.maxOutputBytes ?? 32 * 1024 * 1024;
    child.stdout.on('data', (c: Buffer) => {
      if (outBytes < cap) out.push(c);
      outBytes += c.length;
    });
    child.stderr.on('data', (c: Buffer) => {
      const text = c.toString('utf8');
      if (err.length < 64 * 1024) err += text;
      opts.onStderr?.(text);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, opts.timeoutMs);
    const onAbort = () => killGroup(child.pid);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(e.code === 'ENOENT' ? new DiscoError('unavailable', 'git is not installed on the daemon host') : e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (timedOut) return reject(new DiscoError('unavailable', `git ${args[0]} timed out after ${opts.timeoutMs} ms`));
      resolve({ stdout: Buffer.concat(out), stderr: err, exitCode: code });
    });
  });
}

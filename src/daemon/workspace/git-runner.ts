import { spawn } from 'node:child_process';
import path from 'node:path';
import { DiscoError } from '../errors.js';
import { localChild, type RunningChild } from '../sandbox/child.js';
import { CONTAINER_PATH } from './exec.js';
import { FIXED_OVERRIDES } from './git-config-guard.js';
import type { Confinement, Sandbox } from './sandbox.js';

/** Starts git somewhere else than a direct child (the container's live sandbox). */
export type GitSpawner = (argv: string[], cwd: string, env: Record<string, string>) => Promise<RunningChild>;

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
  /** Runs git in the container's live sandbox instead (then `sandbox` and `confinement` are not used). */
  spawner?: GitSpawner;
  /** `-c` overrides for this repository's named drivers (git-config-guard), before the subcommand. */
  configArgs?: readonly string[];
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
 * Security: flags that make git safe to point at a repository nobody vetted: every executable key with a
 * fixed name overridden (git-config-guard.ts explains the whole design), no pager or prompts, only the
 * allowed transports, nothing from the system or user config of the daemon's account.
 */
export function safeGitArgs(protocols: readonly GitProtocol[]): string[] {
  return [
    ...FIXED_OVERRIDES.flatMap((kv) => ['-c', kv]),
    '-c',
    'protocol.allow=never',
    ...protocols.flatMap((p) => ['-c', `protocol.${p}.allow=always`]),
    '--no-pager',
  ];
}

/**
 * The environment git runs with. Security: GIT_ALLOW_PROTOCOL beats any `protocol.<name>.allow` a
 * repository sets (ext::, fd::, ssh); `:` is git's do-nothing editor; discovery stops at the workspace.
 */
export function gitEnv(
  home: string,
  extra: Record<string, string> = {},
  protocols: readonly GitProtocol[] = ['https'],
): Record<string, string> {
  return {
    PATH: CONTAINER_PATH,
    HOME: home,
    LANG: 'C.UTF-8',
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ASKPASS: '/bin/false',
    SSH_ASKPASS: '/bin/false',
    GIT_EDITOR: ':',
    GIT_SEQUENCE_EDITOR: ':',
    GIT_PAGER: 'cat',
    GIT_ALLOW_PROTOCOL: protocols.join(':'),
    GIT_CEILING_DIRECTORIES: path.dirname(home),
    GIT_LITERAL_PATHSPECS: '1',
    ...extra,
  };
}

/** Runs the real git binary with the safe flags, in its own process group, bounded in time and output. */
export async function runGit(args: string[], opts: GitOptions): Promise<GitResult> {
  const argv = [...safeGitArgs(opts.protocols), ...(opts.configArgs ?? []), ...args];
  const env = gitEnv(opts.home, opts.extraEnv, opts.protocols);
  const child = opts.spawner
    ? await opts.spawner(['git', ...argv], opts.cwd, env).catch((e: unknown) => {
        throw e instanceof DiscoError && e.code === 'command_not_found'
          ? new DiscoError('unavailable', 'git is not installed on the daemon host')
          : e;
      })
    : await spawnHere(argv, env, opts);
  return new Promise((resolve, reject) => {
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
      child.killGroup();
    }, opts.timeoutMs);
    const onAbort = () => child.killGroup();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.onClose(({ code, lost }) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (timedOut) return reject(new DiscoError('unavailable', `git ${args[0]} timed out after ${opts.timeoutMs} ms`));
      if (lost) return reject(new DiscoError('unavailable', `git ${args[0]} was lost with the container sandbox`));
      resolve({ stdout: Buffer.concat(out), stderr: err, exitCode: code });
    });
  });
}

/** Git as a direct child (no sandbox, or a one-off sandbox with extra binds), in its own process group. */
function spawnHere(argv: string[], env: Record<string, string>, opts: GitOptions): Promise<RunningChild> {
  return new Promise((resolve, reject) => {
    let cmd: { file: string; args: string[] } = { file: 'git', args: argv };
    if (opts.sandbox && opts.confinement) cmd = opts.sandbox.wrap('git', argv, { ...opts.confinement, cwd: opts.cwd });
    const child = spawn(cmd.file, cmd.args, { cwd: opts.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.once('error', (e: NodeJS.ErrnoException) => {
      reject(e.code === 'ENOENT' ? new DiscoError('unavailable', 'git is not installed on the daemon host') : e);
    });
    child.once('spawn', () => resolve(localChild(child)));
  });
}

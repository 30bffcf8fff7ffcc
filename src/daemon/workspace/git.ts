import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { DiscoError, ValidationError } from '../errors.js';
import { LOG_FORMAT, parseBranches, parseLog, parseStatusV2 } from './git-parse.js';
import { type GitOptions, type GitProtocol, runGit } from './git-runner.js';
import { isInside, normalizeRelative, resolveInWorkspace } from './paths.js';
import type { Sandbox } from './sandbox.js';

export interface GitContext {
  root: string;
  timeoutMs: number;
  protocols: readonly GitProtocol[];
  /** Git runs in the container's sandbox, with the container's network switch. */
  sandbox?: Sandbox;
  network: boolean;
  /** Disco's state directory: a file remote inside it (other containers, the database) is refused. */
  stateDir: string;
  signal?: AbortSignal;
  /** Who commits: name and email for author and committer. */
  identity: { name: string; email: string };
  /**
   * The user's token for one https host (their linked GitHub account), sent as an Authorization header to
   * that host only. It goes to git through the environment (GIT_CONFIG_*): never in a URL, an argument,
   * a config file or a log.
   */
  credentials?: { urlPrefix: string; token: string };
}

function credentialEnv(c: GitContext['credentials']): Record<string, string> {
  if (!c) return {};
  const basic = Buffer.from(`x-access-token:${c.token}`).toString('base64');
  return {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: `http.${c.urlPrefix}.extraHeader`,
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
  };
}

/** Hides credentials a URL may carry, for messages and logs. */
export const redactUrl = (text: string) => text.replace(/(\w+:\/\/)[^/@\s]+@/g, '$1***@');

function fail(what: string, stderr: string): never {
  const lines = redactUrl(stderr)
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('hint:'));
  throw new DiscoError(
    'git_failed',
    `git ${what} failed: ${lines.slice(-3).join(' ').slice(0, 500) || 'unknown error'}`,
  );
}

/** Where git runs: the container's sandbox, plus any trusted local remote it must reach. */
function runOptions(ctx: GitContext, cwd: string, binds: Binds = {}): GitOptions {
  return {
    cwd,
    home: ctx.root,
    timeoutMs: ctx.timeoutMs,
    protocols: ctx.protocols,
    ...(ctx.sandbox
      ? {
          sandbox: ctx.sandbox,
          confinement: {
            root: ctx.root,
            network: ctx.network,
            ...(binds.readOnly ? { readOnly: binds.readOnly } : {}),
            ...(binds.writable ? { writable: binds.writable } : {}),
          },
        }
      : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  };
}

interface Binds {
  readOnly?: string[];
  writable?: string[];
}

async function git(ctx: GitContext, cwd: string, args: string[], extra: Partial<GitOptions> = {}, binds: Binds = {}) {
  const r = await runGit(args, {
    ...runOptions(ctx, cwd, binds),
    extraEnv: {
      GIT_AUTHOR_NAME: ctx.identity.name,
      GIT_AUTHOR_EMAIL: ctx.identity.email,
      GIT_COMMITTER_NAME: ctx.identity.name,
      GIT_COMMITTER_EMAIL: ctx.identity.email,
      ...credentialEnv(ctx.credentials),
    },
    ...extra,
  });
  if (r.exitCode !== 0) fail(args[0] ?? '', r.stderr);
  return r.stdout.toString('utf8');
}

/** The repository directory (contained), which must exist. */
async function repoDir(ctx: GitContext, rel: string): Promise<string> {
  const dir = await resolveInWorkspace(ctx.root, rel);
  const s = await stat(dir.abs).catch(() => undefined);
  if (!s?.isDirectory()) throw new DiscoError('not_found', `'${rel}' is not a directory`, { path: rel });
  return dir.abs;
}

/** Paths given to git are contained first, then passed after `--` so none can be read as an option. */
function pathspecs(paths: readonly string[] | undefined): string[] {
  if (!paths || paths.length === 0) return [];
  return ['--', ...paths.map((p) => normalizeRelative(p))];
}

/** Checks a remote URL against the allowed transports; returns the local path of a file remote. */
export function checkRemoteUrl(url: string, protocols: readonly GitProtocol[]): string | undefined {
  const allowed = protocols.map((p) => `${p}://`).join(', ');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    if (protocols.includes('file') && path.isAbsolute(url)) return url;
    throw new ValidationError(`url must be a URL (${allowed})`, { url: redactUrl(url) });
  }
  if (parsed.username || parsed.password) {
    // Security: a token in the URL would be stored in .git/config and shown in logs.
    throw new ValidationError('url must not contain credentials', { url: redactUrl(url) });
  }
  const scheme = parsed.protocol.slice(0, -1) as GitProtocol;
  if (!protocols.includes(scheme)) {
    throw new ValidationError(`url scheme ${parsed.protocol} is not allowed; use ${allowed}`, { url: redactUrl(url) });
  }
  return scheme === 'file' ? decodeURIComponent(parsed.pathname) : undefined;
}

/**
 * The local repository a push/pull remote (a URL, or a path as git reads one) stands for, or undefined
 * when it is not local. Relative paths resolve against the repository directory. Throws for a URL the
 * daemon does not allow. Git's rule: a path has no ':' before its first '/' (else `host:path` means ssh).
 */
export function localRemotePath(url: string, cwd: string, protocols: readonly GitProtocol[]): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return checkRemoteUrl(url, protocols);
  const colon = url.indexOf(':');
  const slash = url.indexOf('/');
  if (colon >= 0 && (slash < 0 || colon < slash)) return undefined; // ssh or a helper: the protocol flags refuse it
  return protocols.includes('file') ? path.resolve(cwd, url) : undefined;
}

/**
 * A trusted local remote must be visible inside the sandbox: it is bound at its own path (read-only to
 * fetch, writable to push). Security: never a path inside Disco's state directory (other containers,
 * the database, keys) unless it is this container's own workspace; compared after realpath on both sides.
 */
async function localRemoteBinds(ctx: GitContext, localPath: string | undefined, write: boolean): Promise<Binds> {
  if (localPath === undefined) return {};
  const real = await realpath(localPath).catch(() => undefined);
  if (real === undefined) throw new DiscoError('git_failed', `git remote '${localPath}' does not exist`);
  const root = await realpath(ctx.root).catch(() => ctx.root);
  const stateDir = await realpath(ctx.stateDir).catch(() => ctx.stateDir);
  if (isInside(root, real)) return {};
  if (isInside(stateDir, real)) {
    throw new ValidationError("a file remote may not point into Disco's state directory", { url: localPath });
  }
  return write ? { writable: [real] } : { readOnly: [real] };
}

/**
 * The local path behind a push/pull remote: a configured remote's URL (as git would read it), else the
 * remote itself as a URL or path. Only a URL given in the request is refused here; a configured one that
 * is not allowed is left to git, which refuses it through the protocol flags.
 */
async function remoteLocalPath(ctx: GitContext, cwd: string, remote: string): Promise<string | undefined> {
  const configured = (await git(ctx, cwd, ['config', '--get', `remote.${remote}.url`]).catch(() => '')).trim();
  if (!configured) return localRemotePath(remote, cwd, ctx.protocols);
  try {
    return localRemotePath(configured, cwd, ctx.protocols);
  } catch {
    return undefined;
  }
}

export async function gitClone(
  ctx: GitContext,
  input: { url: string; path: string; branch?: string; depth?: number },
  onProgress?: (message: string) => void,
) {
  const localPath = checkRemoteUrl(input.url, ctx.protocols);
  const binds = await localRemoteBinds(ctx, localPath, false);
  const target = await resolveInWorkspace(ctx.root, input.path);
  const existing = await stat(target.abs).catch(() => undefined);
  if (existing && !existing.isDirectory()) throw new DiscoError('conflict', `'${input.path}' exists and is a file`);
  const args = ['clone', '--progress', '--no-recurse-submodules'];
  if (input.branch) args.push('--branch', input.branch);
  if (input.depth) args.push('--depth', String(input.depth));
  args.push('--', input.url, target.abs);
  await git(
    ctx,
    ctx.root,
    args,
    {
      onStderr: (text) => {
        const last = text
          .split(/[\r\n]/)
          .filter(Boolean)
          .pop();
        if (last) onProgress?.(redactUrl(last));
      },
    },
    binds,
  );
  const head = (await git(ctx, target.abs, ['rev-parse', 'HEAD']).catch(() => '')).trim();
  return { path: target.rel, head: head || null };
}

export async function gitStatus(ctx: GitContext, rel: string) {
  const cwd = await repoDir(ctx, rel);
  return parseStatusV2(await git(ctx, cwd, ['status', '--porcelain=v2', '--branch', '-z', '--untracked-files=all']));
}

export async function gitDiff(
  ctx: GitContext,
  input: { path: string; staged: boolean; paths?: string[]; maxBytes: number },
) {
  const cwd = await repoDir(ctx, input.path);
  const args = [
    'diff',
    '--no-color',
    '--no-ext-diff',
    ...(input.staged ? ['--cached'] : []),
    ...pathspecs(input.paths),
  ];
  const r = await runGit(args, { ...runOptions(ctx, cwd), maxOutputBytes: input.maxBytes + 1 });
  if (r.exitCode !== 0) fail('diff', r.stderr);
  const truncated = r.stdout.length > input.maxBytes;
  return { diff: r.stdout.subarray(0, input.maxBytes).toString('utf8'), truncated };
}

export async function gitLog(ctx: GitContext, input: { path: string; limit: number; ref?: string; file?: string }) {
  const cwd = await repoDir(ctx, input.path);
  const args = ['log', `--format=${LOG_FORMAT}`, `-n${input.limit}`];
  if (input.ref) {
    if (input.ref.startsWith('-')) throw new ValidationError('ref must not start with -');
    args.push(input.ref);
  }
  args.push(...pathspecs(input.file ? [input.file] : undefined));
  const out = await git(ctx, cwd, args).catch((err: DiscoError) => {
    if (/does not have any commits/.test(err.message)) return '';
    throw err;
  });
  return { commits: parseLog(out) };
}

export async function gitCommit(
  ctx: GitContext,
  input: { path: string; message: string; all: boolean; paths?: string[] },
) {
  const cwd = await repoDir(ctx, input.path);
  if (input.paths?.length) await git(ctx, cwd, ['add', ...pathspecs(input.paths)]);
  else if (input.all) await git(ctx, cwd, ['add', '--all']);
  await git(ctx, cwd, ['commit', '--no-verify', '--no-gpg-sign', '-m', input.message]);
  const [hash = '', subject = ''] = (await git(ctx, cwd, ['log', '-1', '--format=%H%x1f%s'])).trim().split('\x1f');
  return { hash, subject };
}

export async function gitPush(
  ctx: GitContext,
  input: { path: string; remote: string; branch?: string; setUpstream: boolean },
) {
  const cwd = await repoDir(ctx, input.path);
  if (input.remote.startsWith('-')) throw new ValidationError('remote must not start with -');
  const binds = await localRemoteBinds(ctx, await remoteLocalPath(ctx, cwd, input.remote), true);
  const args = ['push', '--porcelain', ...(input.setUpstream ? ['--set-upstream'] : []), input.remote];
  if (input.branch) args.push(input.branch);
  const out = await git(ctx, cwd, args, {}, binds);
  return { remote: input.remote, output: redactUrl(out).trim() };
}

export async function gitPull(
  ctx: GitContext,
  input: { path: string; remote: string; branch?: string; rebase: boolean },
) {
  const cwd = await repoDir(ctx, input.path);
  if (input.remote.startsWith('-')) throw new ValidationError('remote must not start with -');
  const binds = await localRemoteBinds(ctx, await remoteLocalPath(ctx, cwd, input.remote), false);
  const args = ['pull', '--no-edit', input.rebase ? '--rebase' : '--ff', input.remote];
  if (input.branch) args.push(input.branch);
  await git(ctx, cwd, args, {}, binds);
  const head = (await git(ctx, cwd, ['rev-parse', 'HEAD'])).trim();
  return { head };
}

export async function gitBranch(
  ctx: GitContext,
  input: { path: string; action: 'list' | 'create' | 'switch'; name?: string },
) {
  const cwd = await repoDir(ctx, input.path);
  if (input.action !== 'list') {
    if (!input.name) throw new ValidationError(`name is required to ${input.action} a branch`);
    await git(ctx, cwd, ['check-ref-format', '--branch', input.name]);
    await git(ctx, cwd, input.action === 'create' ? ['branch', '--', input.name] : ['switch', '--', input.name]);
  }
  const out = await git(ctx, cwd, [
    'branch',
    '--format=%(HEAD)%00%(refname:short)%00%(upstream:short)%00%(objectname)',
  ]);
  return { branches: parseBranches(out) };
}

export async function gitCheckout(
  ctx: GitContext,
  input: { path: string; ref?: string; create: boolean; paths?: string[] },
) {
  const cwd = await repoDir(ctx, input.path);
  if (input.ref?.startsWith('-')) throw new ValidationError('ref must not start with -');
  if (input.paths?.length) {
    await git(ctx, cwd, ['checkout', input.ref ?? 'HEAD', ...pathspecs(input.paths)]);
  } else {
    if (!input.ref) throw new ValidationError('give a ref to check out, or paths to restore');
    await git(ctx, cwd, input.create ? ['checkout', '-b', input.ref] : ['checkout', input.ref]);
  }
  const head = (await git(ctx, cwd, ['rev-parse', '--abbrev-ref', 'HEAD'])).trim();
  return { head };
}

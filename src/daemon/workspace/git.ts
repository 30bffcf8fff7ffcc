import { stat } from 'node:fs/promises';
import path from 'node:path';
import { DiscoError, ValidationError } from '../errors.js';
import { asNetworkMode } from '../sandbox/modes.js';
import {
  type ConfigEntry,
  parseConfigList,
  REMOTE_PROGRAMS,
  remoteUrls,
  repoConfigOverrides,
} from './git-config-guard.js';
import type { GitContext } from './git-context.js';
import { credentialed } from './git-credentials.js';
import { fail, nothingStaged } from './git-fail.js';
import { LOG_FORMAT, parseBranches, parseLog, parseStatusV2 } from './git-parse.js';
import { assertBranchName, assertRefspec, assertRemote, assertRevision } from './git-refs.js';
import { type Binds, checkRemoteUrl, localRemoteBinds, redactUrl, remoteLocalPaths } from './git-remote.js';
import { type GitOptions, runGit } from './git-runner.js';
import { normalizeRelative, resolveInWorkspace } from './paths.js';

export type { GitContext } from './git-context.js';

export { checkRemoteUrl, localRemotePath, redactUrl } from './git-remote.js';

/** Runs one network git command with the token as `credentialed` decides, revoking it afterwards. */
async function gitRemote(
  ctx: GitContext,
  cwd: string,
  args: string[],
  urls: readonly string[],
  push: boolean,
  extra: Partial<GitOptions> = {},
  binds: Binds = {},
): Promise<string> {
  const cred = credentialed(ctx, urls, push);
  try {
    return await git(cred.ctx, cwd, args, { ...extra, ...cred.extra }, binds);
  } finally {
    cred.close();
  }
}

/** Where git runs: the container's sandbox, plus any trusted local remote it must reach. */
function runOptions(ctx: GitContext, cwd: string, binds: Binds = {}): GitOptions {
  const { live, sandbox } = ctx;
  const hasBinds = Boolean(binds.readOnly?.length || binds.writable?.length);
  const oneOff = hasBinds || ctx.isolated === true;
  if (live && sandbox && sandbox.mode === 'bwrap' && !oneOff) {
    const target = { containerId: live.containerId, root: ctx.root, network: asNetworkMode(ctx.network) };
    return {
      cwd,
      home: ctx.root,
      timeoutMs: ctx.timeoutMs,
      protocols: ctx.protocols,
      spawner: async (argv, dir, env) => (await live.pool.get(target)).spawn({ argv, cwd: dir, env, stdin: false }),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    };
  }
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
            // A one-off sandbox for trusted local remotes: their binds, and no network (it has no proxy).
            network: hasBinds && sandbox?.mode === 'bwrap' ? 'off' : asNetworkMode(ctx.network),
            ...(ctx.containerId ? { container: ctx.containerId } : {}),
            ...(binds.readOnly ? { readOnly: binds.readOnly } : {}),
            ...(binds.writable ? { writable: binds.writable } : {}),
          },
        }
      : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  };
}

/** The repository's own config as git reads it here (includes off), for git-config-guard. */
async function repoConfig(ctx: GitContext, cwd: string): Promise<ConfigEntry[]> {
  const r = await runGit(['config', '--list', '-z', '--show-scope', '--no-includes'], runOptions(ctx, cwd));
  if (r.exitCode !== 0) fail(ctx, 'config', r);
  return parseConfigList(r.stdout.toString('utf8'));
}

/**
 * Runs one git command. Security: the repository's config is read right before, and every driver it
 * names is made inert on this command's line (git-config-guard.ts); keys that cannot be are refused.
 */
async function git(ctx: GitContext, cwd: string, args: string[], extra: Partial<GitOptions> = {}, binds: Binds = {}) {
  const configArgs = repoConfigOverrides(await repoConfig(ctx, cwd));
  const r = await runGit(args, {
    ...runOptions(ctx, cwd, binds),
    ...extra,
    configArgs: [...configArgs, ...(extra.configArgs ?? [])],
    extraEnv: {
      GIT_AUTHOR_NAME: ctx.identity.name,
      GIT_AUTHOR_EMAIL: ctx.identity.email,
      GIT_COMMITTER_NAME: ctx.identity.name,
      GIT_COMMITTER_EMAIL: ctx.identity.email,
      ...extra.extraEnv,
    },
  });
  if (r.exitCode !== 0) fail(ctx, args[0] ?? '', r);
  return r.stdout.toString('utf8');
}

/** The repository directory (contained), which must exist. */
async function repoDir(ctx: GitContext, rel: string): Promise<string> {
  const dir = await resolveInWorkspace(ctx.root, rel);
  const s = await stat(dir.abs).catch(() => undefined);
  if (!s) throw new DiscoError('not_found', `'${rel}' not found`, { path: rel });
  if (!s.isDirectory()) throw new DiscoError('not_a_directory', `'${rel}' is not a directory`, { path: rel });
  return dir.abs;
}

/** Paths given to git are contained first, then passed after `--` so none can be read as an option. */
function pathspecs(paths: readonly string[] | undefined): string[] {
  if (!paths || paths.length === 0) return [];
  return ['--', ...paths.map((p) => normalizeRelative(p))];
}

const remoteScope = (ctx: GitContext) => ({
  root: ctx.root,
  stateDir: ctx.stateDir,
  containersDir: ctx.containersDir,
  protocols: ctx.protocols,
});

/** Binds for the local paths behind a remote (checked), read from the repository's config. */
async function remoteBinds(ctx: GitContext, cwd: string, remote: string, push: boolean): Promise<Binds> {
  const paths = remoteLocalPaths(remoteScope(ctx), await repoConfig(ctx, cwd), cwd, remote, push);
  return localRemoteBinds(remoteScope(ctx), paths, push);
}

/** A bare name (no `:` or `/`) that is not configured as a remote and names no directory beside the repository. */
async function notARemote(cwd: string, remote: string): Promise<boolean> {
  if (/[:/\\]/.test(remote) || remote === '.' || remote === '..') return false;
  return (await stat(path.join(cwd, remote)).catch(() => undefined)) === undefined;
}

/**
 * What push and pull act on, checked the same way for both: the repository, a remote name and branch that
 * cannot pass for options, and the host directories a local remote needs bound (writable only to push).
 */
async function remoteTarget(ctx: GitContext, input: { path: string; remote: string; branch?: string }, push: boolean) {
  const cwd = await repoDir(ctx, input.path);
  const remote = assertRemote(input.remote);
  const branch = input.branch === undefined ? undefined : assertRefspec(input.branch);
  const configured = remoteUrls(await repoConfig(ctx, cwd), remote, push);
  if (configured.length === 0 && (await notARemote(cwd, remote))) {
    // git's own words were about something else: "fatal: transport 'file' not allowed" (pull), "has no upstream
    // branch" (push), as it took the name for a path.
    throw new DiscoError(
      'not_found',
      `this repository has no remote '${remote}': clone it from one, add it (git remote add ${remote} <url>), or give an https:// URL`,
      { remote },
    );
  }
  const urls = configured.length > 0 ? configured : [remote];
  return { cwd, remote, branch, urls, binds: await remoteBinds(ctx, cwd, remote, push) };
}

export async function gitClone(
  ctx: GitContext,
  input: { url: string; path: string; branch?: string; depth?: number },
  onProgress?: (message: string) => void,
) {
  const localPath = checkRemoteUrl(input.url, ctx.protocols);
  const binds = await localRemoteBinds(remoteScope(ctx), localPath === undefined ? [] : [localPath], false);
  const target = await resolveInWorkspace(ctx.root, input.path);
  const existing = await stat(target.abs).catch(() => undefined);
  if (existing && !existing.isDirectory()) throw new DiscoError('conflict', `'${input.path}' exists and is a file`);
  const args = ['clone', '--progress', '--no-recurse-submodules', `--upload-pack=${REMOTE_PROGRAMS.uploadPack}`];
  if (input.branch) args.push('--branch', assertBranchName(input.branch));
  if (input.depth) args.push('--depth', String(input.depth));
  args.push('--', input.url, target.abs);
  await gitRemote(
    ctx,
    ctx.root,
    args,
    [input.url],
    false,
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

/** `git init` in an existing directory; an existing repository is left as it is (git's re-init). */
export async function gitInit(ctx: GitContext, input: { path: string; branch: string }) {
  const cwd = await repoDir(ctx, input.path);
  const branch = assertBranchName(input.branch, 'branch');
  // This directory holds a repository (not merely lies inside one: git init there makes a nested one).
  const existed = (await git(ctx, cwd, ['rev-parse', '--git-dir']).catch(() => '')).trim() === '.git';
  if (!existed) await git(ctx, cwd, ['init', '--quiet', `--initial-branch=${branch}`]);
  const head = (await git(ctx, cwd, ['symbolic-ref', '--short', 'HEAD']).catch(() => '')).trim();
  return { path: normalizeRelative(input.path), created: !existed, head };
}

export async function gitStatus(ctx: GitContext, rel: string) {
  const cwd = await repoDir(ctx, rel);
  return parseStatusV2(
    await git(ctx, cwd, [
      'status',
      '--porcelain=v2',
      '--branch',
      '-z',
      '--untracked-files=all',
      '--ignore-submodules=all',
    ]),
  );
}

/**
 * A page of the unified diff: `maxBytes` of it from byte `offset` (0 for the start), ending at a line when one
 * ends in the page, with `nextOffset` while more follows.
 */
export async function gitDiff(
  ctx: GitContext,
  input: { path: string; staged: boolean; paths?: string[]; maxBytes: number; offset?: number },
) {
  const cwd = await repoDir(ctx, input.path);
  const args = [
    'diff',
    '--no-color',
    '--no-ext-diff',
    '--no-textconv',
    '--ignore-submodules=all',
    ...(input.staged ? ['--cached'] : []),
    ...pathspecs(input.paths),
  ];
  const configArgs = repoConfigOverrides(await repoConfig(ctx, cwd));
  const offset = input.offset ?? 0;
  const r = await runGit(args, { ...runOptions(ctx, cwd), configArgs, maxOutputBytes: offset + input.maxBytes + 1 });
  if (r.exitCode !== 0) fail(ctx, 'diff', r);
  let page = r.stdout.subarray(offset, offset + input.maxBytes);
  const truncated = r.stdout.length > offset + input.maxBytes;
  if (truncated) {
    const nl = page.lastIndexOf(0x0a);
    if (nl >= 0) page = page.subarray(0, nl + 1);
  }
  return { diff: page.toString('utf8'), truncated, ...(truncated ? { nextOffset: offset + page.length } : {}) };
}

export async function gitLog(
  ctx: GitContext,
  input: { path: string; limit: number; ref?: string; file?: string; skip?: number },
) {
  const cwd = await repoDir(ctx, input.path);
  const args = ['log', '--no-show-signature', `--format=${LOG_FORMAT}`, `-n${input.limit}`];
  if (input.skip) args.push(`--skip=${input.skip}`);
  args.push('--end-of-options');
  if (input.ref) args.push(assertRevision(input.ref));
  args.push(...pathspecs(input.file ? [input.file] : undefined));
  const out = await git(ctx, cwd, args).catch((err: DiscoError) => {
    if (/does not have any commits/.test(err.message)) return '';
    throw err;
  });
  return { commits: parseLog(out) };
}

/**
 * What `git add` is given. Security: add looks inside a submodule whose files look changed by running
 * `git status` there, with the submodule's own config (its filters, which the superproject's config read
 * does not see). So every gitlink is left out of what add examines (`:(exclude,literal)` pathspecs; client
 * paths stay literal with `:(literal)`).
 */
async function stageArgs(ctx: GitContext, cwd: string, paths: string[] | undefined, every: '--all' | '--update') {
  const links = (await git(ctx, cwd, ['ls-files', '--stage', '--full-name', '-z']))
    .split('\0')
    .filter((line) => line.startsWith('160000 '))
    .map((line) => line.slice(line.indexOf('\t') + 1));
  const none: Record<string, string> = {};
  if (links.length === 0) return { args: paths ? ['add', ...pathspecs(paths)] : ['add', every], env: none };
  const include = paths ? paths.map((p) => `:(literal)${normalizeRelative(p)}`) : [':/'];
  const exclude = links.map((l) => `:(top,exclude,literal)${l}`);
  return {
    args: ['add', ...(paths ? [] : [every]), '--', ...include, ...exclude],
    env: { GIT_LITERAL_PATHSPECS: '0' },
  };
}

export async function gitCommit(
  ctx: GitContext,
  input: { path: string; message: string; all: boolean; tracked?: boolean; paths?: string[] },
) {
  const cwd = await repoDir(ctx, input.path);
  if (input.paths?.length || input.all || input.tracked) {
    // tracked: what `git commit -a` stages (changed and deleted tracked files; new files stay out).
    const every = input.all ? '--all' : '--update';
    const stage = await stageArgs(ctx, cwd, input.paths?.length ? input.paths : undefined, every);
    await git(ctx, cwd, stage.args, { extraEnv: stage.env });
  }
  await git(ctx, cwd, ['commit', '--no-verify', '--no-gpg-sign', '--no-edit', '-m', input.message]).catch((err) => {
    throw nothingStaged(err) ?? err;
  });
  const [hash = '', subject = ''] = (await git(ctx, cwd, ['log', '-1', '--format=%H%x1f%s'])).trim().split('\x1f');
  return { hash, subject };
}

export async function gitPush(
  ctx: GitContext,
  input: { path: string; remote: string; branch?: string; setUpstream: boolean },
) {
  const { cwd, remote, branch, urls, binds } = await remoteTarget(ctx, input, true);
  const args = [
    'push',
    '--porcelain',
    '--no-verify',
    '--no-signed',
    '--no-recurse-submodules',
    `--receive-pack=${REMOTE_PROGRAMS.receivePack}`,
    ...(input.setUpstream ? ['--set-upstream'] : []),
    '--end-of-options',
    remote,
    ...(branch === undefined ? [] : [branch]),
  ];
  const out = await gitRemote(ctx, cwd, args, urls, true, {}, binds);
  return { remote, output: redactUrl(out).trim() };
}

export async function gitPull(
  ctx: GitContext,
  input: { path: string; remote: string; branch?: string; rebase: boolean },
) {
  const { cwd, remote, branch, urls, binds } = await remoteTarget(ctx, input, false);
  const args = [
    'pull',
    '--no-edit',
    '--no-verify-signatures',
    '--no-recurse-submodules',
    '--no-stat',
    input.rebase ? '--rebase=true' : '--no-rebase',
    `--upload-pack=${REMOTE_PROGRAMS.uploadPack}`,
    '--end-of-options',
    remote,
    ...(branch === undefined ? [] : [branch]),
  ];
  await gitRemote(ctx, cwd, args, urls, false, {}, binds);
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
    const name = assertBranchName(input.name, 'name');
    await git(
      ctx,
      cwd,
      input.action === 'create'
        ? ['branch', '--end-of-options', name]
        : ['switch', '--no-recurse-submodules', '--end-of-options', name],
    );
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
  const ref = input.ref === undefined ? undefined : assertRevision(input.ref);
  if (input.paths?.length) {
    await git(ctx, cwd, ['checkout', '--no-recurse-submodules', ref ?? 'HEAD', ...pathspecs(input.paths)]);
  } else {
    if (!ref) throw new ValidationError('give a ref to check out, or paths to restore');
    // `checkout <ref> --`: git 2.39's checkout takes no --end-of-options; the ref is checked above.
    const args = input.create ? ['-b', assertBranchName(ref)] : [ref, '--'];
    await git(ctx, cwd, ['checkout', '--no-recurse-submodules', ...args]);
  }
  const head = (await git(ctx, cwd, ['rev-parse', '--abbrev-ref', 'HEAD'])).trim();
  return { head };
}

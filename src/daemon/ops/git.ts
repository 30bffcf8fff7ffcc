import { z } from 'zod';
import * as git from '../workspace/git.js';
import { jsonBytes, listPage, nextCall, plural } from './budget.js';
import { assertOnHost, openContainer } from './container-scope.js';
import { ANNOTATIONS, defineOp, type OpContext } from './op.js';
import { containerRef, relPath } from './schemas.js';

const repoPath = relPath.default('.').describe('Repository directory inside the workspace (default the root).');
const ref = z.string().min(1).max(255);
const safe = ANNOTATIONS.readOnly;
const writes = ANNOTATIONS.additive;
const remoteWrites = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: false,
  openWorldHint: true,
} as const;

async function gitContext(ctx: OpContext, container: string): Promise<git.GitContext> {
  const c = await openContainer(ctx, container);
  // Git runs on the host (over the daemon's copy); a webcontainer container runs nothing here.
  assertOnHost(c, 'git');
  // Security: a repository's own config names programs git runs (filters, diff drivers), even for status.
  ctx.services.sandbox.assertMayRun(ctx.principal, 'git');
  const { config } = ctx.services;
  return {
    root: c.root,
    timeoutMs: config.gitTimeoutMs,
    protocols: config.gitProtocols,
    sandbox: ctx.services.sandbox,
    network: c.network,
    ...(ctx.services.sandboxes ? { live: { pool: ctx.services.sandboxes, containerId: c.id } } : {}),
    containerId: c.id,
    stateDir: config.home,
    containersDir: config.containersDir,
    signal: ctx.signal,
    identity: identityOf(ctx),
    ...credentialsOf(ctx),
    relay: ctx.services.egress.gitRelay,
  };
}

/** Author and committer: the user's name and email (their GitHub noreply address, else a local one). */
function identityOf(ctx: OpContext): git.GitContext['identity'] {
  const user = ctx.services.auth.users.get(ctx.principal.userId);
  const name = user?.name ?? ctx.principal.userName;
  const email =
    user?.email ??
    (user?.githubId ? `${user.githubId}+${user.githubLogin}@users.noreply.github.com` : `${name}@users.disco.local`);
  return { name, email };
}

/** The signed-in user's GitHub token, for private repositories on the configured GitHub host. */
function credentialsOf(ctx: OpContext): Pick<git.GitContext, 'credentials'> {
  const token = ctx.services.auth.github.githubToken(ctx.principal.userId);
  return token ? { credentials: { urlPrefix: `${ctx.services.config.githubUrl}/`, token } } : {};
}

export const gitClone = defineOp({
  name: 'git_clone',
  target: 'container',
  area: 'git',
  changesWorkspace: true,
  title: 'Clone repository',
  description:
    'Use to clone a git repository (https://) into a container, by default into its empty root. Reports ' +
    'progress. Hooks never run, submodules are not fetched, credentials in the URL are refused.',
  method: 'POST',
  path: '/containers/:container/git/clone',
  input: z.object({
    container: containerRef,
    url: z.string().min(1).max(2048),
    path: relPath.default('.'),
    branch: ref.optional(),
    depth: z.number().int().min(1).max(100_000).optional(),
  }),
  output: z.object({ path: z.string(), head: z.string().nullable() }),
  annotations: remoteWrites,
  scope: 'git',
  audit: true,
  run: async ({ container, ...input }, ctx) => {
    let step = 0;
    return git.gitClone(await gitContext(ctx, container), input, (message) =>
      ctx.progress({ progress: ++step, message }),
    );
  },
});

export const gitStatus = defineOp({
  name: 'git_status',
  target: 'container',
  area: 'git',
  changesWorkspace: false,
  title: 'Git status',
  description:
    'Use to see the branch (upstream, ahead/behind) and every changed, staged, conflicted or untracked ' + 'file.',
  method: 'GET',
  path: '/containers/:container/git/status',
  input: z.object({ container: containerRef, path: repoPath }),
  output: z.object({
    branch: z.object({
      head: z.string().nullable(),
      oid: z.string().nullable(),
      upstream: z.string().nullable(),
      ahead: z.number().int(),
      behind: z.number().int(),
    }),
    entries: z.array(
      z.object({
        path: z.string(),
        origPath: z.string().optional(),
        kind: z.enum(['changed', 'renamed', 'unmerged', 'untracked', 'ignored']),
        index: z.string(),
        worktree: z.string(),
      }),
    ),
    clean: z.boolean(),
  }),
  annotations: safe,
  scope: 'git',
  run: async ({ container, path }, ctx) => git.gitStatus(await gitContext(ctx, container), path),
});

export const gitDiff = defineOp({
  name: 'git_diff',
  target: 'container',
  area: 'git',
  changesWorkspace: false,
  title: 'Git diff',
  description:
    'Use to see what changed in a repository: the unified diff of unstaged changes, or staged ones with ' +
    'staged: true, optionally of one file. A long diff comes in pages: truncated and next say how to go on.',
  method: 'GET',
  path: '/containers/:container/git/diff',
  input: z.object({
    container: containerRef,
    path: repoPath,
    staged: z.boolean().default(false),
    file: relPath.optional().describe('Only this file (relative to the repository).'),
    maxBytes: z
      .number()
      .int()
      .min(1024)
      .max(10 * 1024 * 1024)
      .default(512 * 1024),
    offset: z.number().int().min(0).default(0).describe('Byte offset into the diff (from next).'),
  }),
  output: z.object({
    diff: z.string(),
    truncated: z.boolean(),
    nextOffset: z.number().int().optional(),
    next: nextCall.optional(),
  }),
  annotations: safe,
  scope: 'git',
  view: 'file',
  run: async ({ container, file, ...input }, ctx) => {
    const g = await gitContext(ctx, container);
    const room = ctx.resultBudget === undefined ? undefined : ctx.resultBudget - 512;
    // JSON escapes (quotes, tabs, newlines) make a diff bigger on the wire: shrink the page until it fits.
    let maxBytes = room === undefined ? input.maxBytes : Math.min(input.maxBytes, Math.floor(room * 0.8));
    for (;;) {
      const r = await git.gitDiff(g, { ...input, maxBytes, ...(file ? { paths: [file] } : {}) });
      if (room !== undefined && jsonBytes(r.diff) > room && maxBytes > 2048) {
        maxBytes = Math.floor(maxBytes / 2);
        continue;
      }
      if (r.nextOffset === undefined) return r;
      const args = { container, ...input, ...(file ? { file } : {}), offset: r.nextOffset };
      return { ...r, next: { tool: 'git_diff', arguments: args } };
    }
  },
  summary: (r) => {
    const files = [...r.diff.matchAll(/^diff --git a\/(.*) b\//gm)].map((m) => m[1] as string);
    const added = (r.diff.match(/^\+(?!\+\+)/gm) ?? []).length;
    const removed = (r.diff.match(/^-(?!--)/gm) ?? []).length;
    if (r.diff === '') return 'no changes';
    return [
      `${plural(files.length, 'file')} changed in this page, +${added} −${removed}${r.truncated ? ' (more follows)' : ''}`,
      ...files.slice(0, 15).map((f) => `  ${f}`),
      ...(files.length > 15 ? ['  …'] : []),
    ].join('\n');
  },
});

export const gitLog = defineOp({
  name: 'git_log',
  target: 'container',
  area: 'git',
  changesWorkspace: false,
  title: 'Git log',
  description:
    'Use to see recent commits (hash, author, date, subject), newest first, optionally from a ref or for one file.',
  method: 'GET',
  path: '/containers/:container/git/log',
  input: z.object({
    container: containerRef,
    path: repoPath,
    limit: z.number().int().min(1).max(1000).default(20),
    ref: ref.optional(),
    file: relPath.optional(),
    skip: z.number().int().min(0).max(10_000_000).default(0).describe('Commits to skip (from next).'),
  }),
  output: z.object({
    commits: z.array(
      z.object({ hash: z.string(), author: z.string(), email: z.string(), date: z.string(), subject: z.string() }),
    ),
    truncated: z.boolean().optional(),
    next: nextCall.optional(),
  }),
  annotations: safe,
  scope: 'git',
  run: async ({ container, ...input }, ctx) => {
    const r = await git.gitLog(await gitContext(ctx, container), input);
    const page = listPage(r.commits, {
      ctx,
      offset: input.skip,
      fixed: 256,
      more: false,
      next: (skip) => ({
        tool: 'git_log',
        arguments: { container, ...input, skip, limit: input.limit - (skip - input.skip) },
      }),
    });
    return { commits: page.items, ...(page.truncated ? { truncated: true, next: page.next } : {}) };
  },
  summary: (r) =>
    [
      `${plural(r.commits.length, 'commit')}${r.truncated ? ' (more follow)' : ''}`,
      ...r.commits.slice(0, 10).map((c) => `  ${c.hash.slice(0, 10)} ${c.date.slice(0, 10)} ${c.subject.slice(0, 80)}`),
    ].join('\n'),
});

export const gitCommit = defineOp({
  name: 'git_commit',
  target: 'container',
  area: 'git',
  changesWorkspace: false,
  title: 'Git commit',
  description:
    'Use to commit staged changes (tracked: true first stages changes to tracked files, like git commit -a; ' +
    'all: true stages everything, new files too; paths just those). Hooks do not run.',
  method: 'POST',
  path: '/containers/:container/git/commit',
  input: z.object({
    container: containerRef,
    path: repoPath,
    message: z.string().min(1).max(100_000),
    all: z.boolean().default(false),
    tracked: z.boolean().default(false).describe('Stage changes to tracked files first, like git commit -a.'),
    paths: z.array(relPath).max(10_000).optional(),
  }),
  output: z.object({ hash: z.string(), subject: z.string() }),
  annotations: writes,
  scope: 'git',
  run: async ({ container, ...input }, ctx) => git.gitCommit(await gitContext(ctx, container), input),
});

export const gitPush = defineOp({
  name: 'git_push',
  target: 'container',
  area: 'git',
  changesWorkspace: false,
  title: 'Git push',
  description: 'Use to push the current (or given) branch to a remote (default origin).',
  method: 'POST',
  path: '/containers/:container/git/push',
  input: z.object({
    container: containerRef,
    path: repoPath,
    remote: ref.default('origin'),
    branch: ref.optional(),
    setUpstream: z.boolean().default(false),
  }),
  output: z.object({ remote: z.string(), output: z.string() }),
  annotations: remoteWrites,
  scope: 'git',
  audit: true,
  run: async ({ container, ...input }, ctx) => git.gitPush(await gitContext(ctx, container), input),
});

export const gitPull = defineOp({
  name: 'git_pull',
  target: 'container',
  area: 'git',
  changesWorkspace: true,
  title: 'Git pull',
  description: 'Use to fetch and merge a remote branch (rebase: true to rebase).',
  method: 'POST',
  path: '/containers/:container/git/pull',
  input: z.object({
    container: containerRef,
    path: repoPath,
    remote: ref.default('origin'),
    branch: ref.optional(),
    rebase: z.boolean().default(false),
  }),
  output: z.object({ head: z.string() }),
  annotations: remoteWrites,
  scope: 'git',
  run: async ({ container, ...input }, ctx) => git.gitPull(await gitContext(ctx, container), input),
});

export const gitBranch = defineOp({
  name: 'git_branch',
  target: 'container',
  area: 'git',
  changesWorkspace: true,
  title: 'Git branches',
  description: 'Use to list branches, or create (action: create) or switch to (action: switch) one.',
  method: 'POST',
  path: '/containers/:container/git/branch',
  input: z.object({
    container: containerRef,
    path: repoPath,
    action: z.enum(['list', 'create', 'switch']).default('list'),
    name: ref.optional(),
  }),
  output: z.object({
    branches: z.array(
      z.object({ name: z.string(), current: z.boolean(), upstream: z.string().nullable(), oid: z.string() }),
    ),
  }),
  annotations: writes,
  scope: 'git',
  run: async ({ container, ...input }, ctx) => git.gitBranch(await gitContext(ctx, container), input),
});

export const gitCheckout = defineOp({
  name: 'git_checkout',
  target: 'container',
  area: 'git',
  changesWorkspace: true,
  title: 'Git checkout',
  description:
    'Use to check out a branch, tag or commit (create: true for a new branch), or with paths to discard ' +
    'changes to those files.',
  method: 'POST',
  path: '/containers/:container/git/checkout',
  input: z.object({
    container: containerRef,
    path: repoPath,
    ref: ref.optional(),
    create: z.boolean().default(false),
    paths: z.array(relPath).max(10_000).optional(),
  }),
  output: z.object({ head: z.string() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  scope: 'git',
  run: async ({ container, ...input }, ctx) => git.gitCheckout(await gitContext(ctx, container), input),
});

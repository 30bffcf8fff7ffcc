import { z } from 'zod';
import * as git from '../workspace/git.js';
import { openContainer } from './container-scope.js';
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
  // Security: a repository's own config names programs git runs (filters, diff drivers), even for status.
  ctx.services.sandbox.assertMayRun(ctx.principal, 'git');
  const c = await openContainer(ctx, container);
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
    'Clones a git repository (https://; http:// or file:// only if the daemon allows them) into the container ' +
    '(default: the workspace root, which must be empty). Git runs in the container sandbox. ' +
    'Reports progress. Hooks never run, submodules are not fetched; credentials in the URL are refused.',
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
    'Branch (head, upstream, ahead/behind) and every changed, staged, renamed, conflicted or untracked file.',
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
    'Unified diff of unstaged changes, or of staged ones with staged: true; optionally for one file. Bounded by maxBytes.',
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
  }),
  output: z.object({ diff: z.string(), truncated: z.boolean() }),
  annotations: safe,
  scope: 'git',
  view: 'file',
  run: async ({ container, file, ...input }, ctx) =>
    git.gitDiff(await gitContext(ctx, container), { ...input, ...(file ? { paths: [file] } : {}) }),
});

export const gitLog = defineOp({
  name: 'git_log',
  target: 'container',
  area: 'git',
  changesWorkspace: false,
  title: 'Git log',
  description: 'Recent commits (hash, author, date, subject), newest first; optionally from a ref or for one file.',
  method: 'GET',
  path: '/containers/:container/git/log',
  input: z.object({
    container: containerRef,
    path: repoPath,
    limit: z.number().int().min(1).max(1000).default(20),
    ref: ref.optional(),
    file: relPath.optional(),
  }),
  output: z.object({
    commits: z.array(
      z.object({ hash: z.string(), author: z.string(), email: z.string(), date: z.string(), subject: z.string() }),
    ),
  }),
  annotations: safe,
  scope: 'git',
  run: async ({ container, ...input }, ctx) => git.gitLog(await gitContext(ctx, container), input),
});

export const gitCommit = defineOp({
  name: 'git_commit',
  target: 'container',
  area: 'git',
  changesWorkspace: false,
  title: 'Git commit',
  description:
    'Commits staged changes (tracked: true first stages changes to tracked files, like git commit -a; ' +
    'all: true stages everything, new files too; paths stages just those). Hooks do not run.',
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
  description: 'Pushes the current (or given) branch to a remote (default origin).',
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
  description: 'Fetches and integrates a remote branch (fast-forward or merge; rebase: true to rebase).',
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
  description: 'Lists branches, or creates one (action: create) or switches to one (action: switch), then lists.',
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
    'Checks out a branch, tag or commit (create: true makes a new branch), or, with paths, restores those files ' +
    'from ref (default HEAD), discarding their changes.',
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

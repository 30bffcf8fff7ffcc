import { z } from 'zod';
import { nextCall } from './budget.js';
import { ANNOTATIONS, defineContract } from './contract.js';
import { containerRef, relPath } from './schemas.js';

export const repoPath = relPath.default('.').describe('Repository directory inside the workspace (default the root).');

export const ref = z.string().min(1).max(255);

export const safe = ANNOTATIONS.readOnly;

export const writes = ANNOTATIONS.additive;

export const remoteWrites = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: false,
  openWorldHint: true,
} as const;

export const gitClone = defineContract({
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
});

export const gitInit = defineContract({
  name: 'git_init',
  target: 'container',
  area: 'git',
  changesWorkspace: false,
  title: 'Create repository',
  description:
    'Use to make a directory of the workspace (by default its root) a new git repository, with branch as its ' +
    'first branch (default main). In an existing repository it changes nothing (created: false).',
  method: 'POST',
  path: '/containers/:container/git/init',
  input: z.object({ container: containerRef, path: repoPath, branch: ref.default('main') }),
  output: z.object({ path: z.string(), created: z.boolean(), head: z.string() }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'git',
  audit: true,
});

export const gitStatus = defineContract({
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
});

export const gitDiff = defineContract({
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
});

export const gitLog = defineContract({
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
});

export const gitCommit = defineContract({
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
});

export const gitPush = defineContract({
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
});

export const gitPull = defineContract({
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
});

export const gitBranch = defineContract({
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
});

export const gitCheckout = defineContract({
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
});

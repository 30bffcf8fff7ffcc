import * as contract from '../../contracts/git.js';
import * as git from '../workspace/git.js';
import { jsonBytes, listPage, plural } from './budget.js';
import { assertOnHost, openContainer } from './container-scope.js';
import { implement, type OpContext } from './op.js';

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

export const gitClone = implement(contract.gitClone, {
  run: async ({ container, ...input }, ctx) => {
    let step = 0;
    return git.gitClone(await gitContext(ctx, container), input, (message) =>
      ctx.progress({ progress: ++step, message }),
    );
  },
});

export const gitInit = implement(contract.gitInit, {
  run: async ({ container, ...input }, ctx) => git.gitInit(await gitContext(ctx, container), input),
  summary: (r) => `${r.created ? 'created a repository' : 'already a repository'} in ${r.path}, on ${r.head}`,
});

export const gitStatus = implement(contract.gitStatus, {
  run: async ({ container, path }, ctx) => git.gitStatus(await gitContext(ctx, container), path),
});

export const gitDiff = implement(contract.gitDiff, {
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

export const gitLog = implement(contract.gitLog, {
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

export const gitCommit = implement(contract.gitCommit, {
  run: async ({ container, ...input }, ctx) => git.gitCommit(await gitContext(ctx, container), input),
});

export const gitPush = implement(contract.gitPush, {
  run: async ({ container, ...input }, ctx) => git.gitPush(await gitContext(ctx, container), input),
});

export const gitPull = implement(contract.gitPull, {
  run: async ({ container, ...input }, ctx) => git.gitPull(await gitContext(ctx, container), input),
});

export const gitBranch = implement(contract.gitBranch, {
  run: async ({ container, ...input }, ctx) => git.gitBranch(await gitContext(ctx, container), input),
});

export const gitCheckout = implement(contract.gitCheckout, {
  run: async ({ container, ...input }, ctx) => git.gitCheckout(await gitContext(ctx, container), input),
});

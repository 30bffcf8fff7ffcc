import type { Command } from 'commander';
import { clientFor } from '../context.js';
import { table } from '../output.js';
import { opCommand, registerTable } from '../table.js';
import { type CommandDeps, outputFor, parseIntOption, withJson } from './shared.js';

const STATE: Record<string, string> = { M: 'modified', A: 'added', D: 'deleted', R: 'renamed', C: 'copied', T: 'type' };

const REPO = { flags: '-C, --repo <dir>', description: 'repository directory in the workspace' } as const;

/** `disco git init|status|diff|log`: one op each. */
export const GIT_COMMANDS = [
  opCommand('git_init', {
    group: 'git',
    name: 'init',
    description: 'make a directory of the workspace (its root by default) a git repository',
    args: [
      { name: 'container', field: 'container' },
      { name: 'dir', field: 'path', optional: true },
    ],
    flags: [{ flags: '-b, --initial-branch <name>', description: 'name of the first branch', field: 'branch' }],
    human: (r) =>
      `${r.created ? 'Initialized empty' : 'Reinitialized existing'} git repository in ${r.path}, on ${r.head}`,
  }),
  opCommand('git_status', {
    group: 'git',
    name: 'status',
    description: 'changed, staged and untracked files',
    args: [{ name: 'container', field: 'container' }],
    flags: [{ ...REPO, field: 'path' }],
    human: (r) => {
      const b = r.branch;
      const track = b.upstream ? ` tracking ${b.upstream} (ahead ${b.ahead}, behind ${b.behind})` : '';
      const head = `on ${b.head ?? '(detached)'}${track}`;
      if (r.entries.length === 0) return `${head}\nclean`;
      const rows = r.entries.map((e) => ({
        staged: e.index === '.' || e.index === '?' ? '' : (STATE[e.index] ?? e.index),
        unstaged: e.kind === 'untracked' ? 'untracked' : e.worktree === '.' ? '' : (STATE[e.worktree] ?? e.worktree),
        path: e.origPath ? `${e.origPath} -> ${e.path}` : e.path,
      }));
      return `${head}\n${table(rows, ['staged', 'unstaged', 'path'])}`;
    },
  }),
  opCommand('git_diff', {
    group: 'git',
    name: 'diff',
    description: 'unified diff (unstaged, or --staged)',
    args: [
      { name: 'container', field: 'container' },
      { name: 'file', field: 'file', optional: true },
    ],
    flags: [
      { ...REPO, field: 'path' },
      { flags: '--staged', description: 'diff what is staged for commit', field: 'staged' },
    ],
    human: (r) => r.diff + (r.truncated ? '\n(diff truncated)' : ''),
  }),
  opCommand('git_log', {
    group: 'git',
    name: 'log',
    description: 'recent commits, newest first',
    args: [{ name: 'container', field: 'container' }],
    flags: [
      { ...REPO, field: 'path' },
      {
        flags: '-n, --limit <n>',
        description: 'how many',
        field: 'limit',
        parse: parseIntOption('--limit'),
      },
    ],
    // A repository without commits printed nothing at all (git says it has none yet).
    human: (r) =>
      r.commits.length === 0
        ? 'no commits yet'
        : r.commits.map((c) => `${c.hash.slice(0, 10)}  ${c.date.slice(0, 10)}  ${c.author}  ${c.subject}`).join('\n'),
  }),
] as const;

/** The directory git clone picks from a URL: its last path component without `.git` (`a/b.git/` → `b`). */
export function cloneDir(url: string): string {
  const name = url
    .replace(/[/\\]+$/, '')
    .replace(/\/\.git$/, '')
    .replace(/\.git$/, '')
    .split(/[/:\\]/)
    .pop();
  if (!name || name === '.' || name === '..') throw new Error(`cannot tell a directory name from '${url}': give one`);
  return name;
}

export function registerGit(program: Command, deps: CommandDeps): void {
  const group = program
    .command('git')
    .description('git in a container: init, clone, status, diff, log, commit, push, pull…');
  const client = () => clientFor(deps.cliEnv());
  const repo = (cmd: Command) => cmd.option('-C, --repo <dir>', 'repository directory in the workspace', '.');

  registerTable(program, deps, [], GIT_COMMANDS);
  withJson(repo(group.command('commit <container> [paths...]').description('commit (given paths, or --all)')))
    .requiredOption('-m, --message <message>', 'commit message')
    .option('-a, --all', 'stage changes to tracked files first, like git commit -a (new files: name them)')
    .action(async (container: string, paths: string[], opts) => {
      const r = await client().call('git_commit', {
        container,
        path: opts.repo,
        message: opts.message,
        tracked: opts.all === true,
        ...(paths.length > 0 ? { paths } : {}),
      });
      outputFor(deps, opts).result(r, () => `committed ${r.hash.slice(0, 10)} ${r.subject}`);
    });
  for (const verb of ['push', 'pull'] as const) {
    withJson(repo(group.command(`${verb} <container> [remote] [branch]`).description(`git ${verb}`)))
      .option('-u, --set-upstream', 'push: set the upstream of the branch')
      .option('--rebase', 'pull: rebase instead of merge')
      .action(async (container: string, remote: string | undefined, branch: string | undefined, opts) => {
        const base = { container, path: opts.repo, remote: remote ?? 'origin', ...(branch ? { branch } : {}) };
        const out = outputFor(deps, opts);
        if (verb === 'push') {
          const r = await client().call('git_push', { ...base, setUpstream: opts.setUpstream === true });
          out.result(r, () => r.output || `pushed to ${r.remote}`);
        } else {
          const r = await client().call('git_pull', { ...base, rebase: opts.rebase === true });
          out.result(r, () => `now at ${r.head.slice(0, 10)}`);
        }
      });
  }
  withJson(
    repo(group.command('branch <container> [name]').description('list branches, or create one (like git branch name)')),
  )
    .option('-c, --create', 'create the branch (the default when a name is given)')
    .option('-s, --switch', 'switch to the branch')
    .action(async (container: string, name: string | undefined, opts) => {
      if (opts.switch && !name) throw new Error('give the branch to switch to: disco git branch <container> <name> -s');
      const action = opts.switch ? 'switch' : name ? 'create' : 'list';
      const r = await client().call('git_branch', { container, path: opts.repo, action, ...(name ? { name } : {}) });
      outputFor(deps, opts).result(r, () =>
        r.branches.map((b) => `${b.current ? '*' : ' '} ${b.name}${b.upstream ? `  -> ${b.upstream}` : ''}`).join('\n'),
      );
    });
  withJson(
    repo(group.command('checkout <container> <ref> [paths...]').description('check out a ref, or restore paths')),
  )
    .option('-b, --create', 'create the branch')
    .action(async (container: string, ref: string, paths: string[], opts) => {
      const r = await client().call('git_checkout', {
        container,
        path: opts.repo,
        ref,
        create: opts.create === true,
        ...(paths.length > 0 ? { paths } : {}),
      });
      outputFor(deps, opts).result(r, () => `on ${r.head}`);
    });
  withJson(
    group
      .command('clone <container> <url> [dir]')
      .description('clone an https:// repository into the workspace (into ./<repo> unless dir is given, like git)'),
  )
    .option('--branch <branch>', 'branch to check out')
    .option('--depth <n>', 'shallow clone', parseIntOption('--depth'))
    .action(async (container: string, url: string, dir: string | undefined, opts) => {
      const r = await client().call('git_clone', {
        container,
        url,
        path: dir ?? cloneDir(url),
        ...(opts.branch ? { branch: opts.branch } : {}),
        ...(opts.depth ? { depth: opts.depth } : {}),
      });
      outputFor(deps, opts).result(r, () => `cloned into ${r.path} at ${r.head?.slice(0, 10) ?? '(empty)'}`);
    });
}

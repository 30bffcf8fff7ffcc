import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disco, type ServeProcess, spawnServe } from '../helpers/cli.js';
import { tempDir } from '../helpers/daemon.js';
import { gitSh } from '../helpers/git-sh.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

const hasGit = requireSystem('git', hasCommand('git'));

let home: string;
let remotes: string;
let serve: ServeProcess;
let env: Record<string, string>;

describe.runIf(hasGit)('disco git behaves like git and says what git says', () => {
  beforeAll(async () => {
    home = await tempDir('disco-e2e-git-');
    remotes = await tempDir('disco-e2e-remotes-');
    await chmod(remotes, 0o755); // the sandbox user reads the remote
    const bare = path.join(remotes, 'project.git');
    gitSh(remotes, ['init', '-q', '--bare', '--initial-branch=main', bare]);
    const seed = path.join(remotes, 'seed');
    await mkdir(seed);
    gitSh(seed, ['init', '-q', '--initial-branch=main']);
    await writeFile(path.join(seed, 'README.md'), '# seeded\n');
    gitSh(seed, ['add', '.']);
    gitSh(seed, ['commit', '-q', '-m', 'seed']);
    gitSh(seed, ['push', '-q', bare, 'main']);
    serve = await spawnServe(home, { DISCO_GIT_PROTOCOLS: 'https,file' });
    env = { DISCO_URL: serve.url, DISCO_HOME: home };
    expect((await disco(['containers', 'create', 'g'], env)).code).toBe(0);
  });
  afterAll(async () => {
    await serve.stop();
    await rm(home, { recursive: true, force: true });
    await rm(remotes, { recursive: true, force: true });
  });

  it('clones into ./<repo> when no directory is given', async () => {
    const r = await disco(['git', 'clone', 'g', `file://${remotes}/project.git`], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^cloned into project at [0-9a-f]{10}/);
    expect((await disco(['files', 'read', 'g', 'project/README.md'], env)).stdout).toBe('# seeded\n');
  });

  it('says what git says when there is nothing to commit, in text and in JSON', async () => {
    const r = await disco(['git', 'commit', 'g', '-C', 'project', '-m', 'nothing'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nothing to commit, working tree clean/);
    expect(r.stderr).not.toMatch(/unknown error/);
    const j = await disco(['git', 'commit', 'g', '-C', 'project', '-m', 'nothing', '--json'], env);
    // In --json mode the error is JSON too (on stderr).
    expect(JSON.parse(j.stderr).error).toMatchObject({
      code: 'git_failed',
      message: expect.stringMatching(/nothing to commit/),
    });
  });

  it('says what to pass when nothing is staged, not git\'s "use git add" (there is no disco git add)', async () => {
    expect((await disco(['files', 'write', 'g', 'project/loose.txt'], env, 'x\n')).code).toBe(0);
    const r = await disco(['git', 'commit', 'g', '-C', 'project', '-m', 'nothing staged'], env);
    expect(r.code).toBe(1);
    // It said: "git commit: README.md; loose.txt; nothing added to commit but untracked files present (use "git add" to track)".
    expect(r.stderr).toBe(
      'disco: git commit: nothing to commit: no changes are staged (untracked files are present); name the paths ' +
        "to commit, or pass -a (changes to tracked files) or '.' as the path (new files too) [git_failed]\n",
    );
    const call = await disco(['call', 'git_commit', '{"container":"g","path":"project","message":"m"}'], env);
    expect(call.stderr).toContain(
      'name the paths to commit, or pass tracked: true (changes to tracked files) or all: true',
    );
    expect((await disco(['files', 'rm', 'g', 'project/loose.txt'], env)).code).toBe(0);
  });

  it('commits tracked changes only with --all, like git commit -a', async () => {
    await disco(['files', 'write', 'g', 'project/README.md'], env, '# changed\n');
    await disco(['files', 'write', 'g', 'project/new.txt'], env, 'new\n');
    const c = await disco(['git', 'commit', 'g', '-C', 'project', '--all', '-m', 'edit'], env);
    expect(c.code, c.stderr).toBe(0);
    const status = await disco(['git', 'status', 'g', '-C', 'project', '--json'], env);
    expect(JSON.parse(status.stdout).entries).toEqual([
      expect.objectContaining({ path: 'new.txt', kind: 'untracked' }),
    ]);
    // Named, a new file is committed.
    expect((await disco(['git', 'commit', 'g', '-C', 'project', 'new.txt', '-m', 'add new'], env)).code).toBe(0);
    expect((await disco(['git', 'status', 'g', '-C', 'project'], env)).stdout).toMatch(/clean/);
  });

  it('creates a branch from `git branch <c> <name>`, like git branch', async () => {
    const r = await disco(['git', 'branch', 'g', 'feature', '-C', 'project'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ {2}feature$/m);
    expect(r.stdout).toMatch(/^\* main/m);
    expect((await disco(['git', 'branch', 'g', 'feature', '-C', 'project', '--switch'], env)).stdout).toMatch(
      /^\* feature/m,
    );
  });

  it('starts a repository with `git init`, like git init, and leaves an existing one as it is', async () => {
    await disco(['exec', 'g', '--', 'mkdir', 'fresh'], env);
    const r = await disco(['git', 'init', 'g', 'fresh'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('Initialized empty git repository in fresh, on main\n');
    await disco(['files', 'write', 'g', 'fresh/a.txt'], env, 'a\n');
    expect((await disco(['git', 'commit', 'g', '-C', 'fresh', 'a.txt', '-m', 'first'], env)).code).toBe(0);
    const again = await disco(['git', 'init', 'g', 'fresh', '-b', 'other', '--json'], env);
    expect(JSON.parse(again.stdout)).toEqual({ path: 'fresh', created: false, head: 'main' });
    const log = await disco(['git', 'log', 'g', '-C', 'fresh'], env);
    expect(log.stdout).toMatch(/first$/m);
    // Another first branch; a directory that does not exist is an error that changes nothing.
    await disco(['exec', 'g', '--', 'mkdir', 'trunk'], env);
    expect((await disco(['git', 'init', 'g', 'trunk', '--initial-branch', 'trunk'], env)).stdout).toMatch(/on trunk$/m);
    const missing = await disco(['git', 'init', 'g', 'nowhere'], env);
    expect(missing.code).not.toBe(0);
    // It said "'nowhere' is not a directory [not_found]"; a file is the one that is not a directory.
    expect(missing.stderr).toBe("disco: 'nowhere' not found [not_found]\n");
    await disco(['files', 'write', 'g', 'afile.txt'], env, 'x\n');
    const file = await disco(['git', 'status', 'g', '-C', 'afile.txt'], env);
    expect(file.stderr).toBe("disco: 'afile.txt' is not a directory [not_a_directory]\n");
    expect((await disco(['exec', 'g', '--', 'ls'], env)).stdout).not.toMatch(/nowhere/);
  });

  it('never shows a server path in a git error', async () => {
    // git names the destination it was given (an absolute path on the server) when it refuses it.
    const again = await disco(['git', 'clone', 'g', `file://${remotes}/project.git`, '--json'], env);
    expect(again.code).toBe(1);
    const { message } = JSON.parse(again.stderr).error;
    expect(message).toMatch(/destination path 'project' already exists/);
    expect(message).not.toContain(home);
    expect(message).not.toMatch(/containers\//);
    const text = await disco(['git', 'clone', 'g', `file://${remotes}/project.git`], env);
    expect(text.stderr).not.toContain(home);
    // A directory that is not a repository.
    await disco(['exec', 'g', '--', 'mkdir', 'plain'], env);
    const notRepo = await disco(['git', 'log', 'g', '-C', 'plain'], env);
    expect(notRepo.code).toBe(1);
    expect(notRepo.stderr).toMatch(/not a git repository/);
    expect(notRepo.stderr).not.toContain(home);
  });
});

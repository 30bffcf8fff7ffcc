import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon, tempDir } from '../helpers/daemon.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

const hasGit = requireSystem('git', hasCommand('git'));

let t: TestDaemon;
let remotes: string;
let bare: string;
let root: string;
const G = '/api/v1/containers/repo/git';

/**
 * A root daemon runs git as the sandbox uid (65534 by default), so a file remote it pushes to must be
 * that uid's, like every git command the test itself runs on the remotes.
 */
const asSandboxUid = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];

function sh(cwd: string, ...args: string[]) {
  const [file, ...argv] = [...asSandboxUid, 'git', ...args];
  return execFileSync(file as string, argv, {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'Seed',
      GIT_AUTHOR_EMAIL: 's@x',
      GIT_COMMITTER_NAME: 'Seed',
      GIT_COMMITTER_EMAIL: 's@x',
    },
  });
}

describe.runIf(hasGit)('git ops over REST against real local repositories', () => {
  beforeAll(async () => {
    remotes = await tempDir('disco-git-remotes-');
    if (asSandboxUid.length > 0) await chown(remotes, 65534, 65534);
    bare = path.join(remotes, 'origin.git');
    const seed = path.join(remotes, 'seed');
    await mkdir(seed);
    if (asSandboxUid.length > 0) await chown(seed, 65534, 65534);
    sh(remotes, 'init', '--bare', '--initial-branch=main', bare);
    sh(seed, 'init', '--initial-branch=main');
    await writeFile(path.join(seed, 'README.md'), '# seeded\n');
    sh(seed, 'add', '.');
    sh(seed, 'commit', '-m', 'seed commit');
    sh(seed, 'push', bare, 'main');
    t = await startTestDaemon({ DISCO_GIT_PROTOCOLS: 'https,file' });
    const c = (await t.json('POST', '/api/v1/containers', { name: 'repo' })).body;
    root = path.join(t.home, 'containers', c.id);
  });
  afterAll(async () => {
    await t.stop();
    await rm(remotes, { recursive: true, force: true });
  });

  it('clones, then reports a clean status tracking origin/main', async () => {
    const r = await t.json('POST', `${G}/clone`, { url: `file://${bare}` });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ path: '.', head: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(await readFile(path.join(root, 'README.md'), 'utf8')).toBe('# seeded\n');
    const s = await t.json('GET', `${G}/status`);
    expect(s.body).toMatchObject({
      clean: true,
      branch: { head: 'main', upstream: 'origin/main', ahead: 0, behind: 0 },
    });
  });

  it('shows changes, diffs, commits as the caller without running hooks, and logs', async () => {
    await t.json('PUT', '/api/v1/containers/repo/files/content', { path: 'README.md', content: '# changed\n' });
    await t.json('PUT', '/api/v1/containers/repo/files/content', { path: 'new file.txt', content: 'new\n' });
    const s = await t.json('GET', `${G}/status`);
    expect(s.body.entries).toEqual([
      { path: 'README.md', kind: 'changed', index: '.', worktree: 'M' },
      { path: 'new file.txt', kind: 'untracked', index: '?', worktree: '?' },
    ]);
    const d = await t.json('GET', `${G}/diff`);
    expect(d.body.diff).toContain('-# seeded\n+# changed');
    const hook = path.join(root, '.git/hooks/pre-commit');
    await writeFile(hook, `#!/bin/sh\ntouch ${path.join(remotes, 'hook-ran')}\n`);
    await chmod(hook, 0o755);
    const c = await t.json('POST', `${G}/commit`, { message: 'edit from disco', all: true });
    expect(c.body).toMatchObject({ hash: expect.stringMatching(/^[0-9a-f]{40}$/), subject: 'edit from disco' });
    await expect(stat(path.join(remotes, 'hook-ran'))).rejects.toThrow();
    const log = await t.json('GET', `${G}/log?limit=5`);
    expect(log.body.commits.map((x: { subject: string }) => x.subject)).toEqual(['edit from disco', 'seed commit']);
    expect(log.body.commits[0]).toMatchObject({ author: 'admin', email: 'admin@users.disco.local' });
    expect((await t.json('GET', `${G}/status`)).body.branch.ahead).toBe(1);
  });

  it('pushes to the remote and pulls what others pushed', async () => {
    const pushed = await t.json('POST', `${G}/push`, {});
    expect(pushed.status, JSON.stringify(pushed.body)).toBe(200);
    expect(sh(remotes, '--git-dir', bare, 'log', '-1', '--format=%s', 'main').trim()).toBe('edit from disco');
    const other = path.join(remotes, 'other');
    sh(remotes, 'clone', bare, other);
    await writeFile(path.join(other, 'theirs.txt'), 'theirs\n');
    sh(other, 'add', '.');
    sh(other, 'commit', '-m', 'their commit');
    sh(other, 'push', 'origin', 'main');
    const pulled = await t.json('POST', `${G}/pull`, {});
    expect(pulled.status, JSON.stringify(pulled.body)).toBe(200);
    expect(await readFile(path.join(root, 'theirs.txt'), 'utf8')).toBe('theirs\n');
  });

  it('creates and switches branches, pushes a new one upstream, and restores files by checkout', async () => {
    const created = await t.json('POST', `${G}/branch`, { action: 'create', name: 'feature/x' });
    expect(created.body.branches.map((b: { name: string }) => b.name)).toEqual(['feature/x', 'main']);
    const switched = await t.json('POST', `${G}/branch`, { action: 'switch', name: 'feature/x' });
    expect(switched.body.branches.find((b: { current: boolean }) => b.current).name).toBe('feature/x');
    expect((await t.json('POST', `${G}/push`, { branch: 'feature/x', setUpstream: true })).status).toBe(200);
    expect(sh(remotes, '--git-dir', bare, 'branch', '--list', 'feature/x').trim()).toBe('feature/x');
    await t.json('PUT', '/api/v1/containers/repo/files/content', { path: 'README.md', content: 'scribble\n' });
    const restored = await t.json('POST', `${G}/checkout`, { paths: ['README.md'] });
    expect(restored.body).toEqual({ head: 'feature/x' });
    expect(await readFile(path.join(root, 'README.md'), 'utf8')).toBe('# changed\n');
    expect((await t.json('POST', `${G}/checkout`, { ref: 'main' })).body).toEqual({ head: 'main' });
  });

  it('refuses unsafe remotes, escaping paths and option-like refs, and reports git failures as git_failed', async () => {
    for (const url of [
      'https://user:token@github.com/x/y.git',
      'ext::sh -c touch% /tmp/pwned',
      'ssh://git@github.com/x/y',
      'http://example.com/x.git',
    ]) {
      const r = await t.json('POST', `${G}/clone`, { url, path: 'other' });
      expect(r.body.error.code, url).toBe('validation_failed');
      expect(JSON.stringify(r.body)).not.toContain('token@');
    }
    expect((await t.json('GET', `${G}/status?path=..`)).body.error.code).toBe('path_outside_workspace');
    expect((await t.json('GET', `${G}/diff?file=../../x`)).body.error.code).toBe('path_outside_workspace');
    expect((await t.json('GET', `${G}/log?ref=--output=/tmp/x`)).body.error.code).toBe('validation_failed');
    expect((await t.json('POST', `${G}/checkout`, { ref: 'no-such-branch' })).body.error.code).toBe('git_failed');
    await t.json('POST', '/api/v1/containers', { name: 'empty' });
    expect((await t.json('GET', '/api/v1/containers/empty/git/status')).body.error.code).toBe('git_failed');
  });

  it('says a repository has no such remote, instead of what git said about a path of that name', async () => {
    await t.json('POST', '/api/v1/containers', { name: 'lonely' });
    const L = '/api/v1/containers/lonely/git';
    expect((await t.json('POST', `${L}/init`, {})).status).toBe(200);
    // pull said "fatal: transport 'file' not allowed"; push spoke of a missing upstream branch.
    for (const verb of ['pull', 'push']) {
      const r = await t.json('POST', `${L}/${verb}`, {});
      expect(r.status, verb).toBe(404);
      expect(r.body.error).toEqual({
        code: 'not_found',
        message:
          "this repository has no remote 'origin': clone it from one, add it (git remote add origin <url>), or give an https:// URL",
        details: { remote: 'origin' },
      });
    }
  });

  it('refuses file:// remotes unless the daemon allows them', async () => {
    const strict = await startTestDaemon();
    try {
      await strict.json('POST', '/api/v1/containers', { name: 'c' });
      const r = await strict.json('POST', '/api/v1/containers/c/git/clone', { url: `file://${bare}` });
      expect(r.body.error.code).toBe('validation_failed');
      const local = await strict.json('POST', '/api/v1/containers/c/git/clone', { url: bare });
      expect(local.body.error.code).toBe('validation_failed');
    } finally {
      await strict.stop();
    }
  });
});

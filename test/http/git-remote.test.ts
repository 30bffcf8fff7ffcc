import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon, tempDir } from '../helpers/daemon.js';
import { type GitHttpServer, startGitHttp } from '../helpers/git-http.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

const hasGit = requireSystem('git', hasCommand('git'));
const hasBwrap = requireSystem('bubblewrap', hasCommand('bwrap', ['--version']));

function sh(cwd: string, ...args: string[]) {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'Other',
      GIT_AUTHOR_EMAIL: 'o@x',
      GIT_COMMITTER_NAME: 'Other',
      GIT_COMMITTER_EMAIL: 'o@x',
    },
  });
}

let t: TestDaemon;
let remotes: string;
let web: GitHttpServer;

describe.runIf(hasGit)('git against a real smart-HTTP remote (git http-backend)', () => {
  beforeAll(async () => {
    remotes = await tempDir('disco-git-http-');
    const bare = path.join(remotes, 'project.git');
    sh(remotes, 'init', '--bare', '--initial-branch=main', bare);
    sh(bare, 'config', 'http.receivepack', 'true');
    const seed = path.join(remotes, 'seed');
    await mkdir(seed);
    sh(seed, 'init', '--initial-branch=main');
    await writeFile(path.join(seed, 'README.md'), '# over http\n');
    sh(seed, 'add', '.');
    sh(seed, 'commit', '-m', 'seed');
    sh(seed, 'push', bare, 'main');
    web = await startGitHttp(remotes);
    // The remote listens on the host's loopback: only the 'host' network mode reaches it.
    t = await startTestDaemon({ DISCO_GIT_PROTOCOLS: 'https,http,file', DISCO_ALLOW_HOST_NETWORK: 'true' });
    await t.json('POST', '/api/v1/containers', { name: 'web', network: 'host' });
  });
  afterAll(async () => {
    await t?.stop();
    await web?.close();
  });

  it('clones, commits, pushes and pulls over http', async () => {
    const G = '/api/v1/containers/web/git';
    const clone = await t.json('POST', `${G}/clone`, { url: `${web.url}/project.git`, path: 'project' });
    expect(clone.status).toBe(200);
    expect(clone.body.head).toMatch(/^[0-9a-f]{40}$/);
    expect(web.requests.some((r) => r.includes('/project.git/info/refs'))).toBe(true);

    await t.json('PUT', '/api/v1/containers/web/files/content', { path: 'project/new.txt', content: 'from disco\n' });
    const commit = await t.json('POST', `${G}/commit`, { path: 'project', message: 'add new.txt', all: true });
    expect(commit.status).toBe(200);
    const push = await t.json('POST', `${G}/push`, { path: 'project', remote: 'origin', branch: 'main' });
    expect(push.status).toBe(200);
    expect(web.requests.some((r) => r.includes('git-receive-pack'))).toBe(true);
    expect(sh(path.join(remotes, 'project.git'), 'log', '-1', '--format=%s', 'main').trim()).toBe('add new.txt');

    // Someone else pushes; pull brings it in.
    const other = path.join(remotes, 'other');
    sh(remotes, 'clone', path.join(remotes, 'project.git'), other);
    await writeFile(path.join(other, 'theirs.txt'), 'theirs\n');
    sh(other, 'add', '.');
    sh(other, 'commit', '-m', 'their change');
    sh(other, 'push', 'origin', 'main');
    const pull = await t.json('POST', `${G}/pull`, { path: 'project', remote: 'origin', branch: 'main' });
    expect(pull.status).toBe(200);
    expect(pull.body.head).toBe(sh(other, 'rev-parse', 'HEAD').trim());
    const log = await t.json('GET', `${G}/log?path=project&limit=5`);
    expect(log.body.commits.map((c: { subject: string }) => c.subject)).toEqual([
      'their change',
      'add new.txt',
      'seed',
    ]);
  });

  it('refuses http:// when the daemon allows only https', async () => {
    const strict = await startTestDaemon();
    try {
      await strict.json('POST', '/api/v1/containers', { name: 'strict' });
      const r = await strict.json('POST', '/api/v1/containers/strict/git/clone', { url: `${web.url}/project.git` });
      expect(r.status).toBe(400);
      expect(r.body.error.message).toMatch(/scheme http: is not allowed; use https:\/\//);
    } finally {
      await strict.stop();
    }
  });

  it("refuses a file remote inside Disco's state directory (another container's workspace)", async () => {
    const victim = (await t.json('POST', '/api/v1/containers', { name: 'victim' })).body;
    const r = await t.json('POST', '/api/v1/containers/web/git/clone', {
      url: `file://${path.join(t.home, 'containers', victim.id)}`,
      path: 'stolen',
    });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/state directory/);
    // A relative path reaches the same place from the repository directory; it is resolved first.
    const pull = await t.json('POST', '/api/v1/containers/web/git/pull', {
      path: 'project',
      remote: `../../${victim.id}`,
    });
    expect(pull.status, JSON.stringify(pull.body)).toBe(400);
    expect(pull.body.error.message).toMatch(/state directory/);
  });

  it.runIf(hasBwrap)(
    "runs git inside the container's sandbox: with the network off, the remote is unreachable",
    async () => {
      await t.json('POST', '/api/v1/containers', { name: 'offline', network: 'off' });
      const r = await t.json('POST', '/api/v1/containers/offline/git/clone', { url: `${web.url}/project.git` });
      expect(r.status).toBe(422);
      expect(r.body.error.code).toBe('git_failed');
      expect(r.body.error.message).toMatch(/Failed to connect|Could not resolve|Connection refused|unable to access/);
      await t.json('PATCH', '/api/v1/containers/offline', { network: 'host' });
      const again = await t.json('POST', '/api/v1/containers/offline/git/clone', { url: `${web.url}/project.git` });
      expect(again.status).toBe(200);
    },
  );
});

import { existsSync } from 'node:fs';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon, tempDir } from '../helpers/daemon.js';
import { gitSh } from '../helpers/git-sh.js';
import { handToSandbox } from '../helpers/sandbox-uid.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

/**
 * Item 5, continued: what a client names (branches, refs, remotes) is never an option for git, and a
 * file remote never reaches Disco's state: not inside it, and not a parent of it (bound writable into
 * the sandbox, a parent hands over the keys and every workspace).
 */
const hasGit = requireSystem('git', hasCommand('git'));

let outer: string;
let t: TestDaemon;
let root: string;
let marker: string;
let gitToken: string;

async function asGit(method: string, url: string, body?: unknown) {
  const res = await fetch(`${t.url}/api/v1/containers/w/git${url}`, {
    method,
    headers: { authorization: `Bearer ${gitToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as any, text };
}

describe.runIf(hasGit)('git refs, remotes and the state directory', () => {
  beforeAll(async () => {
    // $DISCO_HOME lives inside a git repository: `outer` is a parent of the state directory.
    outer = await tempDir('disco-sec-outer-');
    gitSh(outer, ['init', '-q', '--initial-branch=main']);
    await writeFile(path.join(outer, 'README.md'), 'outer\n');
    gitSh(outer, ['add', '.']);
    gitSh(outer, ['commit', '-qm', 'outer']);
    t = await startTestDaemon({ DISCO_HOME: path.join(outer, 'home'), DISCO_GIT_PROTOCOLS: 'https,file' });
    const c = await t.json('POST', '/api/v1/containers', { name: 'w' });
    root = path.join(outer, 'home', 'containers', c.body.id);
    await mkdir(root, { recursive: true });
    gitSh(root, ['init', '-q', '--initial-branch=main']);
    await writeFile(path.join(root, 'a.txt'), 'a\n');
    gitSh(root, ['add', '.']);
    gitSh(root, ['commit', '-qm', 'a']);
    await mkdir(path.join(root, '.git/x'));
    gitSh(root, ['init', '-q', '--bare', '.git/x/inner.git']);
    gitSh(root, ['config', 'remote.inner.url', path.join(root, '.git/x/inner.git')]);
    marker = path.join(root, '.git/pwned');
    await writeFile(path.join(root, '.git/evil.sh'), `#!/bin/sh\ntouch "${marker}"\nexit 1\n`);
    await chmod(path.join(root, '.git/evil.sh'), 0o755);
    handToSandbox(root);
    const pat = await t.json('POST', '/api/v1/tokens', { name: 'git-only', scopes: ['git'] });
    gitToken = pat.body.token;
  });
  afterAll(async () => {
    await t?.stop();
    if (outer) await rm(outer, { recursive: true, force: true });
  });

  it('refuses a push branch shaped like --receive-pack=<program>, which git would run', async () => {
    const evil = `--receive-pack=${path.join(root, '.git/evil.sh')}`;
    const r = await asGit('POST', '/push', { remote: 'inner', branch: evil });
    expect(r.status, r.text).toBe(400);
    expect(r.body.error.code).toBe('validation_failed');
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses a pull branch or remote shaped like --upload-pack=<program>', async () => {
    const evil = `--upload-pack=${path.join(root, '.git/evil.sh')}`;
    for (const body of [
      { remote: 'inner', branch: evil },
      { remote: evil },
      { remote: 'inner', branch: `main:${evil}` },
    ]) {
      const r = await asGit('POST', '/pull', body);
      expect(r.status, r.text).toBe(400);
      expect(r.body.error.code).toBe('validation_failed');
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses option-shaped or malformed branch names and refs everywhere', async () => {
    const refused = [
      asGit('POST', '/branch', { action: 'create', name: '--upload-pack=x' }),
      asGit('POST', '/branch', { action: 'create', name: 'a..b' }),
      asGit('POST', '/branch', { action: 'create', name: 'x.lock' }),
      asGit('POST', '/branch', { action: 'switch', name: '-' }),
      asGit('POST', '/checkout', { ref: '--orphan=x' }),
      asGit('POST', '/checkout', { ref: 'has space', create: true }),
      asGit('GET', '/log?ref=--output=/tmp/x'),
      asGit('POST', '/push', { remote: '--mirror' }),
    ];
    for (const r of await Promise.all(refused)) {
      expect(r.status, r.text).toBe(400);
      expect(r.body.error.code).toBe('validation_failed');
    }
    const ok = await asGit('POST', '/branch', { action: 'create', name: 'feature/ok-1' });
    expect(ok.status, ok.text).toBe(200);
  });

  it("refuses a file remote that is a parent of Disco's state directory, and never reads the keys", async () => {
    const attempts = [
      asGit('POST', '/clone', { url: `file://${outer}`, path: 'copy' }),
      asGit('POST', '/clone', { url: outer, path: 'copy2' }),
      asGit('POST', '/pull', { remote: `file://${outer}`, branch: 'main' }),
      asGit('POST', '/push', { remote: outer, branch: 'main:refs/heads/stolen' }),
      asGit('POST', '/push', { remote: '/', branch: 'main:refs/heads/stolen' }),
    ];
    for (const r of await Promise.all(attempts)) {
      expect(r.status, r.text).toBe(400);
      expect(r.body.error.message).toMatch(/state directory/);
      expect(r.text).not.toContain(t.token);
    }
    expect(gitSh(outer, ['branch', '--list', 'stolen']).trim()).toBe('');
  });

  it("refuses a configured remote whose pushurl or second url reaches Disco's state directory", async () => {
    gitSh(root, ['config', 'remote.sneaky.url', path.join(root, '.git/x/inner.git')]);
    gitSh(root, ['config', 'remote.sneaky.pushurl', outer]);
    gitSh(root, ['config', '--add', 'remote.twice.url', path.join(root, '.git/x/inner.git')]);
    gitSh(root, ['config', '--add', 'remote.twice.url', path.join(outer, 'home', 'containers')]);
    for (const remote of ['sneaky', 'twice']) {
      const r = await asGit('POST', '/push', { remote, branch: 'main:refs/heads/stolen' });
      expect(r.status, r.text).toBe(400);
      expect(r.body.error.message).toMatch(/state directory/);
    }
    expect(gitSh(outer, ['branch', '--list', 'stolen']).trim()).toBe('');
  });

  it('refuses a file remote at a parent of a containers directory kept outside $DISCO_HOME', async () => {
    const place = await tempDir('disco-sec-ctrs-');
    const d = await startTestDaemon({
      DISCO_GIT_PROTOCOLS: 'https,file',
      DISCO_CONTAINERS_DIR: path.join(place, 'ctrs'),
    });
    try {
      await d.json('POST', '/api/v1/containers', { name: 'c' });
      gitSh(place, ['init', '-q', '--bare', 'near.git']);
      const r = await d.json('POST', '/api/v1/containers/c/git/clone', { url: `file://${place}`, path: 'x' });
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.error.message).toMatch(/state directory/);
      const fine = await d.json('POST', '/api/v1/containers/c/git/clone', {
        url: `file://${path.join(place, 'near.git')}`,
        path: 'y',
      });
      expect(fine.status, JSON.stringify(fine.body)).toBe(200);
    } finally {
      await d.stop();
      await rm(place, { recursive: true, force: true });
    }
  });
});

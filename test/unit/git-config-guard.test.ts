import { describe, expect, it } from 'vitest';
import {
  FIXED_OVERRIDES,
  parseConfigList,
  REMOTE_PROGRAMS,
  remoteUrls,
  repoConfigOverrides,
  splitKey,
} from '../../src/daemon/workspace/git-config-guard.js';
import { assertBranchName, assertRefspec, assertRemote, assertRevision } from '../../src/daemon/workspace/git-refs.js';

const local = (key: string, value: string | null = 'x') => ({ scope: 'local', key, value });

describe('git-config-guard', () => {
  it('parses `git config --list -z --show-scope`, valueless keys included', () => {
    expect(parseConfigList('local\0core.bare\nfalse\0command\0a.b\0local\0x.y.z\nv\nw\0')).toEqual([
      { scope: 'local', key: 'core.bare', value: 'false' },
      { scope: 'command', key: 'a.b', value: null },
      { scope: 'local', key: 'x.y.z', value: 'v\nw' },
    ]);
  });

  it('splits keys with dotted subsections (URLs) the way git does', () => {
    expect(splitKey('credential.https://h.example/x.git.Helper')).toEqual({
      section: 'credential',
      sub: 'https://h.example/x.git',
      name: 'helper',
    });
    expect(splitKey('Core.HooksPath')).toEqual({ section: 'core', sub: null, name: 'hookspath' });
  });

  it('makes every named filter, diff and merge driver and every remote command inert', () => {
    const args = repoConfigOverrides([
      local('filter.lfs.process'),
      local('diff.Ev.textconv'),
      local('merge.ev.driver'),
      local('remote.origin.uploadpack'),
      { scope: 'command', key: 'filter.ours.clean', value: 'x' },
    ]);
    const kv = args.filter((a) => a !== '-c');
    expect(kv).toEqual([
      'filter.lfs.clean=',
      'filter.lfs.smudge=',
      'filter.lfs.process=',
      'filter.lfs.required=false',
      'diff.Ev.textconv=',
      'diff.Ev.command=',
      'merge.ev.driver=',
      `remote.origin.uploadpack=${REMOTE_PROGRAMS.uploadPack}`,
      `remote.origin.receivepack=${REMOTE_PROGRAMS.receivePack}`,
    ]);
  });

  it.each([
    'include.path',
    'includeIf.gitdir:/x/.path',
    'url.ext::sh.insteadOf',
    'url.https://evil/.pushInsteadOf',
    'http.proxy',
    'http.https://github.com/.sslVerify',
    'http.curloptResolve',
    'remote.origin.proxy',
    'remote.origin.vcs',
    'core.worktree',
  ])('refuses %s, which cannot be made inert', (key) => {
    expect(() => repoConfigOverrides([local(key)])).toThrowError(expect.objectContaining({ code: 'command_refused' }));
  });

  it('lets harmless http tuning and ordinary keys through', () => {
    expect(repoConfigOverrides([local('http.postBuffer'), local('user.name'), local('core.bare')])).toEqual([]);
  });

  it('overrides the fixed-name executable keys', () => {
    for (const key of ['core.hooksPath', 'core.fsmonitor', 'core.pager', 'credential.helper', 'commit.gpgSign']) {
      expect(FIXED_OVERRIDES.some((kv) => kv.startsWith(`${key}=`))).toBe(true);
    }
  });

  it('lists every url of a remote, and pushurls for a push', () => {
    const entries = [local('remote.o.url', 'a'), local('remote.o.url', 'b'), local('remote.o.pushurl', 'c')];
    expect(remoteUrls(entries, 'o', false)).toEqual(['a', 'b']);
    expect(remoteUrls(entries, 'o', true)).toEqual(['c']);
    expect(remoteUrls(entries, 'other', true)).toEqual([]);
  });
});

describe('git-refs', () => {
  it.each(['main', 'feature/x-1', 'v1.2', 'a@b'])('accepts the branch name %s', (n) => {
    expect(assertBranchName(n)).toBe(n);
  });
  it.each(['-x', '--upload-pack=x', 'a..b', 'a b', 'x.lock', '.x', 'x/', 'a//b', 'a~1', 'a:b', '@', 'a@{1}', 'x.'])(
    'refuses the branch name %s',
    (n) => {
      expect(() => assertBranchName(n)).toThrowError(expect.objectContaining({ code: 'validation_failed' }));
    },
  );
  it('accepts revisions and refspecs, refusing option shapes', () => {
    expect(assertRevision('HEAD~2')).toBe('HEAD~2');
    expect(assertRefspec('+main:refs/heads/x')).toBe('+main:refs/heads/x');
    expect(assertRefspec(':gone')).toBe(':gone');
    for (const bad of ['--exec=x', 'main:--x', '+-x', 'a:b:c']) expect(() => assertRefspec(bad)).toThrow();
    expect(() => assertRevision('-n1')).toThrow();
    expect(() => assertRemote('--mirror')).toThrow();
    expect(assertRemote('../up.git')).toBe('../up.git');
  });
});

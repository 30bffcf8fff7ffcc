import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/daemon/errors.js';
import { checkRemoteUrl, localRemotePath } from '../../src/daemon/workspace/git.js';
import { safeGitArgs } from '../../src/daemon/workspace/git-runner.js';

describe('safeGitArgs', () => {
  it('denies every transport, then allows exactly the listed ones', () => {
    const args = safeGitArgs(['https', 'file']);
    const configs = args.filter((_, i) => args[i - 1] === '-c');
    const protocol = configs.filter((c) => c.startsWith('protocol.'));
    expect(protocol).toEqual(['protocol.allow=never', 'protocol.https.allow=always', 'protocol.file.allow=always']);
    expect(configs).toContain('core.hooksPath=/dev/null');
    expect(configs).toContain('core.fsmonitor=false');
  });

  it('allows no transport when the list is empty', () => {
    expect(safeGitArgs([]).filter((a) => a.startsWith('protocol.'))).toEqual(['protocol.allow=never']);
  });
});

describe('checkRemoteUrl', () => {
  it('accepts https and returns no local path', () => {
    expect(checkRemoteUrl('https://example.com/x.git', ['https'])).toBeUndefined();
  });

  it('accepts http:// only when http is allowed', () => {
    expect(() => checkRemoteUrl('http://10.0.0.5/x.git', ['https'])).toThrow(/scheme http: is not allowed/);
    expect(checkRemoteUrl('http://10.0.0.5/x.git', ['https', 'http'])).toBeUndefined();
  });

  it('returns the decoded path of a file:// URL or an absolute path when file is allowed', () => {
    expect(checkRemoteUrl('file:///srv/repos/a%20b.git', ['file'])).toBe('/srv/repos/a b.git');
    expect(checkRemoteUrl('/srv/repos/a.git', ['https', 'file'])).toBe('/srv/repos/a.git');
    expect(() => checkRemoteUrl('/srv/repos/a.git', ['https'])).toThrow(ValidationError);
    expect(() => checkRemoteUrl('file:///srv/repos/a.git', ['https'])).toThrow(ValidationError);
  });

  it('refuses credentials, ssh, helpers and relative paths without echoing the secret', () => {
    for (const url of ['https://user:token@example.com/x.git', 'ssh://git@example.com/x', 'ext::sh -c id', 'rel/x']) {
      let error: unknown;
      try {
        checkRemoteUrl(url, ['https', 'http', 'file']);
      } catch (err) {
        error = err;
      }
      expect(error, url).toBeInstanceOf(ValidationError);
      expect(JSON.stringify(error)).not.toContain('token');
    }
  });
});

describe('localRemotePath', () => {
  const all = ['https', 'http', 'file'] as const;

  it('resolves relative paths against the repository directory, as git does', () => {
    expect(localRemotePath('../other', '/ws/repo', all)).toBe('/ws/other');
    expect(localRemotePath('/srv/x.git', '/ws/repo', all)).toBe('/srv/x.git');
    expect(localRemotePath('file:///srv/x.git', '/ws/repo', all)).toBe('/srv/x.git');
  });

  it('treats host:path as ssh (not local) and network URLs as not local', () => {
    expect(localRemotePath('git@example.com:x/y.git', '/ws', all)).toBeUndefined();
    expect(localRemotePath('https://example.com/x.git', '/ws', all)).toBeUndefined();
    expect(localRemotePath('./a:b', '/ws', all)).toBe('/ws/a:b');
  });

  it('returns nothing for a path when file is not allowed, and throws for a URL that is not', () => {
    expect(localRemotePath('../other', '/ws', ['https'])).toBeUndefined();
    expect(() => localRemotePath('http://example.com/x.git', '/ws', ['https'])).toThrow(ValidationError);
  });
});

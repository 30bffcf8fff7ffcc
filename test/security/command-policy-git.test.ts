import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandPolicy } from '../../src/daemon/workspace/command-policy.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

/**
 * Item 12 (git part): in allow-list mode `git` may run, yet git runs programs of its own. The attack is
 * performed for real through the exec op: each command would touch a marker in the workspace.
 */
const hasGit = requireSystem('git', hasCommand('git'));
const policy = new CommandPolicy({ mode: 'allow-list', deny: [], allow: ['git', 'ls', 'cat'] });

const ATTACKS: Array<{ command: string[] | string; env?: Record<string, string> }> = [
  { command: ['git', '-c', 'alias.x=!touch pwned', 'x'] },
  { command: "git -c 'alias.x=!touch pwned' x", env: {} },
  { command: 'ls && git -c "alias.x=!touch pwned" x' },
  { command: ['git', '--config-env=alias.x=EVIL', 'x'], env: { EVIL: '!touch pwned' } },
  {
    command: ['git', 'x'],
    env: { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'alias.x', GIT_CONFIG_VALUE_0: '!touch pwned' },
  },
  { command: 'GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=core.fsmonitor GIT_CONFIG_VALUE_0="touch pwned" git status' },
  {
    command: ['git', 'status'],
    env: { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'core.fsmonitor', GIT_CONFIG_VALUE_0: 'touch pwned' },
  },
  { command: ['git', '--exec-path=.', 'pwn'] },
  { command: ['git', '-C', '.', '-c', 'core.fsmonitor=touch pwned', 'status'] },
  { command: ['git', 'ls-remote', '--upload-pack=touch pwned', '.'] },
  { command: ['git', 'fetch', '-utouch pwned', '.'] },
  { command: ['git', 'clone', '-c', 'core.fsmonitor=touch pwned', '.', 'copy'] },
  { command: ['git', 'ls-remote', 'ext::sh -c touch% pwned'] },
  { command: ['git', 'rebase', '--exec', 'touch pwned', 'HEAD~1'] },
  { command: ['git', 'bisect', 'run', 'touch', 'pwned'] },
  { command: ['git', 'config', 'alias.x', '!touch pwned'] },
];

describe('command policy (allow-list): git cannot be used to run other programs', () => {
  it.each(ATTACKS.map((a) => [JSON.stringify(a.command), a] as const))('refuses %s', (_n, a) => {
    expect(() => policy.check(a.command, typeof a.command === 'string', a.env)).toThrowError(
      expect.objectContaining({ code: 'command_refused' }),
    );
  });

  it.each([
    ['git', 'status'],
    ['git', '--no-pager', 'log', '--oneline', '-n', '3'],
    ['git', 'commit', '-m', 'a -c b'],
    ['git', 'add', '-u'],
    ['git', 'branch', '-u', 'origin/main'],
    ['git', 'push', 'origin', 'main'],
  ])('still allows everyday git: %s', (...argv) => {
    expect(() => policy.check(argv, false)).not.toThrow();
  });

  it('allows ordinary variables beside git', () => {
    expect(() => policy.check('CI=1 git status', true)).not.toThrow();
    expect(() => policy.check(['git', 'status'], false, { NODE_ENV: 'test' })).not.toThrow();
  });
});

describe.runIf(hasGit)('command policy (allow-list) over the exec op, for real', () => {
  let t: TestDaemon;
  let root: string;
  beforeAll(async () => {
    t = await startTestDaemon({ DISCO_COMMAND_POLICY: 'allow-list', DISCO_COMMAND_ALLOW: 'git,ls,cat' });
    const c = await t.json('POST', '/api/v1/containers', { name: 'p' });
    root = path.join(t.home, 'containers', c.body.id);
    await mkdir(root, { recursive: true });
  });
  afterAll(() => t?.stop());

  it.each(ATTACKS.map((a) => [JSON.stringify(a.command), a] as const))('%s never runs', async (_n, a) => {
    const shell = typeof a.command === 'string';
    const r = await t.json('POST', '/api/v1/terminal/execute', {
      container: 'p',
      command: a.command,
      shell,
      env: a.env ?? {},
    });
    expect(r.body.error?.code, JSON.stringify(r.body)).toBe('command_refused');
    expect(existsSync(path.join(root, 'pwned'))).toBe(false);
  });

  it('runs allowed git commands (the policy is not simply refusing git)', async () => {
    const r = await t.json('POST', '/api/v1/terminal/execute', { container: 'p', command: ['git', 'init', '-q'] });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.exitCode).toBe(0);
  });
});

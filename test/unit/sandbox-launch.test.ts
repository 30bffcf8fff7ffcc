import { describe, expect, it } from 'vitest';
import { bwrapArgs, Sandbox } from '../../src/daemon/workspace/sandbox.js';
import { launchArgv, MAX_BOUND_DIRS } from '../../src/daemon/workspace/sandbox-launch.js';

const tools = {
  sh: '/bin/sh',
  bwrap: '/usr/bin/bwrap',
  setpriv: '/usr/bin/setpriv',
  unshare: '/usr/bin/unshare',
  mount: '/usr/bin/mount',
};
const c = { root: '/state/containers/ctr_a', cwd: '/state/containers/ctr_a/src', network: 'egress' as const };

/** The value after `flag` in argv (first occurrence). */
const after = (argv: string[], flag: string) => argv[argv.indexOf(flag) + 1];

describe('bwrapArgs', () => {
  it('always asks for a user namespace without nested ones, read-only /proc/sys and no capabilities', () => {
    const args = bwrapArgs(c);
    for (const flag of ['--unshare-user', '--disable-userns', '--unshare-pid', '--die-with-parent', '--new-session'])
      expect(args).toContain(flag);
    expect(after(args, '--cap-drop')).toBe('ALL');
    const proc = args.indexOf('--proc');
    const sys = args.findIndex((a, i) => a === '--ro-bind' && args[i + 1] === '/proc/sys');
    expect(sys).toBeGreaterThan(proc);
  });

  it('keeps the PTY as controlling terminal for terminals (no new session)', () => {
    expect(bwrapArgs({ ...c, pty: true })).not.toContain('--new-session');
  });
});

describe('launchArgv', () => {
  it('runs bwrap directly for a non-root daemon without a filter', () => {
    const argv = launchArgv(tools, { filter: undefined, owner: undefined, slots: undefined }, (b) => bwrapArgs(c, b), [
      'true',
    ]);
    expect(argv[0]).toBe('/usr/bin/bwrap');
    expect(argv).not.toContain('--seccomp');
  });

  it('opens the filter on fd 3 through /bin/sh for a non-root daemon', () => {
    const argv = launchArgv(
      tools,
      { filter: '/state/f.bpf', owner: undefined, slots: undefined },
      (b) => bwrapArgs(c, b),
      ['true'],
    );
    expect(argv.slice(0, 4)).toEqual(['/bin/sh', '-c', 'exec "$@" 3<"$0"', '/state/f.bpf']);
    expect(after(argv, '--seccomp')).toBe('3');
    expect(argv).toContain(c.root); // bound by its own path
  });

  it('for a root daemon: private mount namespace, workspace through a slot, setpriv before bwrap', () => {
    const owner = { uid: 4242, gid: 4243 };
    const argv = launchArgv(tools, { filter: '/state/f.bpf', owner, slots: '/tmp/slots' }, (b) => bwrapArgs(c, b), [
      'id',
    ]);
    expect(argv.slice(0, 5)).toEqual(['/usr/bin/unshare', '--mount', '--propagation', 'private', '--']);
    const setpriv = argv.indexOf('/usr/bin/setpriv');
    const bwrap = argv.indexOf('/usr/bin/bwrap');
    expect(setpriv).toBeGreaterThan(0);
    expect(bwrap).toBeGreaterThan(setpriv);
    expect(argv.slice(setpriv, bwrap)).toEqual([
      '/usr/bin/setpriv',
      '--reuid=4242',
      '--regid=4243',
      '--clear-groups',
      '--no-new-privs',
      '--',
    ]);
    // The wrapper gets the workspace to bind onto slot 0; bwrap binds slot 0 at the workspace's path.
    expect(argv.slice(8, 12)).toEqual(['/tmp/slots', '/state/f.bpf', '1', c.root]);
    const bind = argv.findIndex((a, i) => a === '--bind' && argv[i + 2] === c.root);
    expect(argv[bind + 1]).toBe('/tmp/slots/0');
    expect(argv.at(-1)).toBe('id');
  });

  it('refuses more directories than there are slots', () => {
    const writable = Array.from({ length: MAX_BOUND_DIRS }, (_, i) => `/remote/${i}`);
    expect(() =>
      launchArgv(
        tools,
        { filter: undefined, owner: { uid: 1, gid: 1 }, slots: '/tmp/slots' },
        (b) => bwrapArgs({ ...c, writable }, b),
        ['true'],
      ),
    ).toThrow(/at most/);
  });
});

describe('Sandbox access', () => {
  it('lets only admins run programs when the sandbox fell back to none', () => {
    const s = new Sandbox('none', 'bwrap is not installed', undefined, undefined, { commands: 'admins' });
    const admin = new Set(['exec', 'admin']);
    expect(() => s.assertMayRun({ isAdmin: true, scopes: admin }, 'a command')).not.toThrow();
    expect(() => s.assertMayRun({ isAdmin: false, scopes: admin }, 'a command')).toThrowError(
      expect.objectContaining({ code: 'sandbox_required', status: 403 }),
    );
    // An admin's token without the admin scope: unsandboxed, a command could do everything an admin can.
    expect(() => s.assertMayRun({ isAdmin: true, scopes: new Set(['exec']) }, 'a command')).toThrowError(
      expect.objectContaining({ code: 'sandbox_required' }),
    );
    expect(s.report()).toMatchObject({
      mode: 'none',
      commands: 'admins',
      warning: expect.stringMatching(/only admins/),
    });
  });

  it('lets everyone run programs with DISCO_SANDBOX=none, and says so', () => {
    const s = new Sandbox('none', 'disabled by DISCO_SANDBOX=none');
    expect(() => s.assertMayRun({ isAdmin: false, scopes: new Set(['exec']) }, 'a command')).not.toThrow();
    expect(s.report().warning).toMatch(/everyone/);
  });
});

import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type SandboxMode = 'bwrap' | 'none';

export interface Sandbox {
  mode: SandboxMode;
  /** Why this mode: found bwrap, asked for none, bwrap missing… shown in /health and the logs. */
  reason: string;
}

/** Picks the sandbox: `auto` uses bubblewrap when it works here, else none (with a reason to warn about). */
export function detectSandbox(configured: 'auto' | 'bwrap' | 'none'): Sandbox {
  if (configured === 'none') return { mode: 'none', reason: 'disabled by DISCO_SANDBOX=none' };
  try {
    // A real run, not just a lookup: user namespaces may be forbidden even where bwrap is installed.
    const probe = os.tmpdir();
    execFileSync('bwrap', [...bwrapArgs({ root: probe, cwd: probe, network: true }), '--', 'true'], {
      stdio: 'ignore',
      timeout: 10_000,
    });
    return { mode: 'bwrap', reason: 'bubblewrap' };
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'bwrap is not installed' : 'bwrap cannot run here';
    if (configured === 'bwrap') throw new Error(`DISCO_SANDBOX=bwrap but ${why}`);
    return { mode: 'none', reason: `${why}; commands run unsandboxed` };
  }
}

/** The few /etc files programs need (DNS, users, TLS roots); the rest of /etc stays hidden. */
const ETC = [
  'resolv.conf',
  'hosts',
  'nsswitch.conf',
  'passwd',
  'group',
  'localtime',
  'ssl',
  'ca-certificates',
  'alternatives',
  'gitconfig',
];

/**
 * bubblewrap arguments for one command. Security: the workspace is the only writable path; /usr is
 * read-only; $DISCO_HOME (database, keys, other containers), /root, /home and the rest of the host are
 * not mounted at all; /tmp is private; new PID/IPC/UTS namespaces; all capabilities dropped; the whole
 * namespace dies with its bwrap process (which the daemon kills as a group).
 */
export function bwrapArgs(opts: { root: string; cwd: string; network: boolean }): string[] {
  const args = [
    '--die-with-parent',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(opts.network ? [] : ['--unshare-net']),
    '--cap-drop',
    'ALL',
    '--ro-bind',
    '/usr',
    '/usr',
  ];
  for (const dir of ['bin', 'lib', 'lib64', 'sbin', 'lib32']) {
    if (existsSync(path.join('/usr', dir))) args.push('--symlink', `usr/${dir}`, `/${dir}`);
  }
  for (const name of ETC) args.push('--ro-bind-try', `/etc/${name}`, `/etc/${name}`);
  // Node (and tools beside it) may live outside /usr, e.g. under /opt or a version manager's directory.
  const nodePrefix = path.dirname(path.dirname(process.execPath));
  if (!nodePrefix.startsWith('/usr')) args.push('--ro-bind', nodePrefix, nodePrefix);
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--bind', opts.root, opts.root, '--chdir', opts.cwd);
  return args;
}

/** Finds an argv[0] the way execvp would, so a missing command is reported before anything starts. */
export function findExecutable(command: string, cwd: string, pathVar: string): string | undefined {
  const candidates = command.includes('/')
    ? [path.resolve(cwd, command)]
    : pathVar
        .split(':')
        .filter(Boolean)
        .map((dir) => path.join(dir, command));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Confinement } from './sandbox.js';

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
  'fonts', // fontconfig's configuration: the container's browser renders text with /usr/share/fonts
];

/**
 * bubblewrap arguments for one command (see Sandbox for what they guarantee). `bind` maps a host
 * directory to the path bwrap binds it from (a root daemon passes them through mount slots).
 */
export function bwrapArgs(c: Confinement, bind: (hostPath: string) => string = (p) => p): string[] {
  const args = [
    '--die-with-parent',
    '--unshare-user',
    '--disable-userns',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(c.network === 'host' ? [] : ['--unshare-net']),
    // Security: without a PTY the command gets no controlling terminal to push input into (TIOCSTI).
    ...(c.pty ? [] : ['--new-session']),
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
  if (!nodePrefix.startsWith('/usr')) args.push('--ro-bind', bind(nodePrefix), nodePrefix);
  // Security: kernel knobs stay read-only even to a uid that could write them (core_pattern runs as root).
  args.push('--proc', '/proc', '--ro-bind', '/proc/sys', '/proc/sys');
  args.push('--dev', '/dev', '--tmpfs', '/tmp', '--bind', bind(c.root), c.root);
  for (const m of c.mounts ?? []) args.push(m.writable ? '--bind' : '--ro-bind', bind(m.from), m.to);
  for (const p of c.readOnly ?? []) args.push('--ro-bind', bind(p), p);
  for (const p of c.writable ?? []) args.push('--bind', bind(p), p);
  args.push('--chdir', c.cwd);
  return args;
}

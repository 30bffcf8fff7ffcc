import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSeccompFilter, seccompArch } from './seccomp.js';

import type { Owner } from './workspace-dir.js';

export type { Owner };

/** How many host directories one command may have bound (workspace, node, trusted git remotes). */
export const MAX_BOUND_DIRS = 8;

/** The fd bwrap reads the seccomp filter from (opened by the wrapper shell, never inside the sandbox). */
export const SECCOMP_FD = 3;

/**
 * Writes the seccomp filter for this arch as a 0600 file in `dir` (the daemon's state directory, which is
 * never mounted in a sandbox) and returns its path; undefined on an arch without a filter.
 */
export function writeSeccompFilter(dir: string | undefined): string | undefined {
  const arch = seccompArch();
  if (!arch) return undefined;
  let target = dir;
  if (!target) {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'disco-seccomp-'));
    process.once('exit', () => rmSync(tmp, { recursive: true, force: true }));
    target = tmp;
  }
  mkdirSync(target, { recursive: true, mode: 0o700 });
  const file = path.join(target, `sandbox-seccomp-${arch}.bpf`);
  // Atomic: another process on the same $DISCO_HOME (disco mcp beside serve) may be reading it.
  const tmp = `${file}.${randomBytes(6).toString('hex')}`;
  writeFileSync(tmp, buildSeccompFilter(arch), { mode: 0o600, flag: 'wx' });
  renameSync(tmp, file);
  return file;
}

/**
 * Security: a root-owned directory with MAX_BOUND_DIRS empty slots that every user may traverse. A
 * root daemon drops to the sandbox uid before bwrap, and that uid cannot traverse the daemon's
 * 0700 state directory to reach a workspace; so the wrapper, still root and in a private mount
 * namespace of its own, binds each directory onto a slot first. On the host the slots stay empty.
 */
export function mountSlots(base = os.tmpdir()): string {
  const fixed = path.join(base, 'disco-sandbox-slots');
  const usable = (p: string) => {
    try {
      const s = lstatSync(p);
      return s.isDirectory() && !s.isSymbolicLink() && s.uid === 0 && (s.mode & 0o022) === 0;
    } catch {
      return false;
    }
  };
  let dir = fixed;
  try {
    mkdirSync(fixed, { mode: 0o755 });
  } catch {
    // exists: used only if it is ours (root's, not writable by others); else a fresh private name
  }
  if (!usable(fixed)) dir = mkdtempSync(path.join(base, 'disco-sandbox-slots-'));
  chmodSync(dir, 0o755);
  for (let i = 0; i < MAX_BOUND_DIRS; i++) {
    const slot = path.join(dir, String(i));
    try {
      mkdirSync(slot, { mode: 0o755 });
    } catch {
      // exists (inside a root-owned directory nobody else can write to)
    }
  }
  return dir;
}

/** Tools the wrapper needs, as absolute paths found once at start. */
export interface LaunchTools {
  sh: string;
  bwrap: string;
  /** Root daemons only. */
  setpriv?: string;
  unshare?: string;
  mount?: string;
}

/**
 * Builds the full argv that starts bwrap: a tiny /bin/sh that opens the seccomp filter on fd 3 (node-pty
 * cannot pass extra fds), and for a root daemon first the private mount namespace and the drop to the
 * sandbox uid (`setpriv`), so nothing in the sandbox, bwrap included, ever holds host root.
 */
export function launchArgv(
  tools: LaunchTools,
  opts: { filter: string | undefined; owner: Owner | undefined; slots: string | undefined },
  bwrapArgs: (bind: (hostPath: string) => string) => string[],
  command: readonly string[],
): string[] {
  const bound: string[] = [];
  const bind = (hostPath: string) => {
    if (!opts.owner || !opts.slots) return hostPath;
    if (bound.length >= MAX_BOUND_DIRS) throw new Error(`a sandbox binds at most ${MAX_BOUND_DIRS} directories`);
    bound.push(hostPath);
    return path.join(opts.slots, String(bound.length - 1));
  };
  const seccomp = opts.filter ? ['--seccomp', String(SECCOMP_FD)] : [];
  const inner = [tools.bwrap, ...seccomp, ...bwrapArgs(bind), '--', ...command];
  if (!opts.owner) {
    if (!opts.filter) return inner;
    return [tools.sh, '-c', `exec "$@" ${SECCOMP_FD}<"$0"`, opts.filter, ...inner];
  }
  const { setpriv, unshare, mount } = tools;
  if (!setpriv || !unshare || !mount) throw new Error('setpriv, unshare and mount (util-linux) are required as root');
  const drop = [
    setpriv,
    `--reuid=${opts.owner.uid}`,
    `--regid=${opts.owner.gid}`,
    '--clear-groups',
    '--no-new-privs',
    '--',
  ];
  // $0 = slots dir, $1 = filter ('' for none), $2 = count, then the directories, then the command.
  const script =
    'm=$0 f=$1 n=$2; shift 2; i=0; ' +
    `while [ "$i" -lt "$n" ]; do ${mount} --bind -- "$1" "$m/$i" || exit 125; shift; i=$((i+1)); done; ` +
    `if [ -n "$f" ]; then exec "$@" ${SECCOMP_FD}<"$f"; else exec "$@"; fi`;
  return [
    unshare,
    '--mount',
    '--propagation',
    'private',
    '--',
    tools.sh,
    '-c',
    script,
    opts.slots ?? '/nonexistent',
    opts.filter ?? '',
    String(bound.length),
    ...bound,
    ...drop,
    ...inner,
  ];
}

/** The wrapper that joins cgroups: `$0` is how many directories follow, then the directories, then the command. */
export const JOIN_CGROUPS_SCRIPT =
  'n=$0 i=0; while [ "$i" -lt "$n" ]; do echo $$ > "$1/cgroup.procs" || exit 125; shift; i=$((i+1)); done; exec "$@"';

/**
 * Prefixes `command` with a /bin/sh that writes its own pid into each group's `cgroup.procs`, then execs
 * the command (same pid): the command and everything it forks count against the container's limits. It
 * runs first, so for a root daemon it is still root when it writes (setpriv comes later in the command).
 */
export function joinCgroupsArgv(sh: string, groups: readonly string[], command: readonly string[]): string[] {
  if (groups.length === 0) return [...command];
  return [sh, '-c', JOIN_CGROUPS_SCRIPT, String(groups.length), ...groups, ...command];
}

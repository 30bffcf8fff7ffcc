import { readdirSync, readFileSync } from 'node:fs';

/** True while `pid` runs. A zombie counts as dead: it has exited and only waits for its reaper. */
export function isAlive(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== undefined && state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export async function waitUntil(check: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return check();
}

/**
 * A shell loop that rewrites `file` every 50 ms. Inside a sandbox, pids are namespaced and mean nothing
 * to the host, so tests prove a process tree is dead by its heartbeat stopping instead.
 */
export const heartbeat = (file: string) => `while :; do date +%s%N > ${file}; sleep 0.05; done`;

/** True when `read` returns a different value after `ms`: the heartbeat still beats. */
export async function isBeating(read: () => Promise<string | undefined>, ms = 300): Promise<boolean> {
  const before = await read();
  await new Promise((r) => setTimeout(r, ms));
  const after = await read();
  return before !== undefined && before !== after;
}

/** Waits until the heartbeat has stopped (bounded). */
export async function stopsBeating(read: () => Promise<string | undefined>, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) if (!(await isBeating(read))) return true;
  return false;
}

/** Waits until the heartbeat beats (bounded): the process has started and runs. */
export async function startsBeating(read: () => Promise<string | undefined>, ms = 8000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) if (await isBeating(read, 150)) return true;
  return false;
}

/**
 * Host processes of a container: its sandbox (the launcher and supervisor carry the container id in their
 * command line, whatever paths a root daemon's mount slots put there) and every command in it (they carry
 * DISCO_CONTAINER_ID in their environment).
 */
export function hostProcessesOf(containerId: string): number {
  let n = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
      if (cmdline.includes(containerId) || environ.includes(`DISCO_CONTAINER_ID=${containerId}\0`)) n++;
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return n;
}

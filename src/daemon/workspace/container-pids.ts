import { readdirSync, readFileSync } from 'node:fs';

/**
 * True when `pid` runs with `DISCO_CONTAINER_ID=<containerId>` in its environment: every container command
 * and terminal gets it (and its descendants inherit it), the daemon and other programs never do. So a
 * recycled pid, or a process of anyone else, is never taken for a container's.
 */
export function runsForContainer(pid: number, containerId: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`DISCO_CONTAINER_ID=${containerId}`);
  } catch {
    return false; // gone, or not ours to read (another user's)
  }
}

/** True while `pid` exists (EPERM: it exists but belongs to another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Every live process of a container, found by its environment (Linux /proc). */
export function containerPids(containerId: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const name of entries) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    if (runsForContainer(pid, containerId)) pids.push(pid);
  }
  return pids;
}

/**
 * Kills every process of a container, including ones that left their process group (`setsid`, daemons)
 * and ones a different process started (the daemon's children, seen from `disco worker`). A few rounds,
 * so a process forked between the scan and the kill is caught too. Returns how many were signalled.
 */
export function killContainerPids(containerId: string, rounds = 3): number {
  let killed = 0;
  for (let i = 0; i < rounds; i++) {
    const pids = containerPids(containerId);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed++;
      } catch {
        // already gone
      }
    }
  }
  return killed;
}

import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { atomicWrite } from './atomic-write.js';

/**
 * How a running `disco serve` tells other processes on its $DISCO_HOME where it is: one record per daemon,
 * `$DISCO_HOME/run/daemon-<pid>-<random>.json` (0600 in a 0700 directory, removed when it closes), holding the URL
 * it listens on and its per-run local credential (see docs/auth.md, "The local credential"). `disco mcp`
 * reads it to relay to that daemon instead of opening a second core beside it. Shared by the daemon and the
 * CLI, so reading it loads no daemon code. Container sandboxes never see `$DISCO_HOME/run`.
 */
export interface DaemonRecord {
  pid: number;
  /** Where a local client reaches the daemon (a loopback address when it listens on every address). */
  url: string;
  /** The per-run local credential (`disco_local_…`): the daemon accepts it as the local admin on /mcp. */
  credential: string;
  startedAt: string;
}

/** A record as read back: where it lives too (a daemon removes it as it starts shutting down). */
export type LiveDaemonRecord = DaemonRecord & { file: string };

export const DAEMON_RUN_DIR = 'run';
export const daemonRunDir = (home: string) => path.join(home, DAEMON_RUN_DIR);
/** One file per daemon: the pid (to tell a stale record) and a random part (two daemons of one process on one home, as tests run). */
const recordName = (pid: number) => `daemon-${pid}-${randomBytes(4).toString('hex')}.json`;
const RECORD_NAME = /^daemon-(\d+)-[0-9a-f]{8}\.json$/;

/** True while `pid` exists (EPERM: it exists but belongs to another user). Processes on one home share a pid namespace. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Writes this process's record (atomically, 0600, in a 0700 directory); returns its path. */
export async function writeDaemonRecord(home: string, record: DaemonRecord): Promise<string> {
  const dir = daemonRunDir(home);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const file = path.join(dir, recordName(record.pid));
  await atomicWrite(file, Buffer.from(`${JSON.stringify(record)}\n`), 0o600);
  return file;
}

export async function removeDaemonRecord(file: string): Promise<void> {
  await unlink(file).catch(() => {});
}

function parseRecord(text: string, pid: number, file: string): LiveDaemonRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<DaemonRecord>;
    if (r.pid !== pid || typeof r.url !== 'string' || typeof r.credential !== 'string') return undefined;
    return { pid, url: r.url, credential: r.credential, startedAt: String(r.startedAt ?? ''), file };
  } catch {
    return undefined;
  }
}

/**
 * The records of the daemons alive on `home`, newest first. A record whose pid is gone is stale (the daemon
 * was killed): it is removed and never returned.
 */
export async function liveDaemons(home: string): Promise<LiveDaemonRecord[]> {
  const dir = daemonRunDir(home);
  const names = await readdir(dir).catch(() => [] as string[]);
  const found: LiveDaemonRecord[] = [];
  for (const name of names) {
    const pid = Number(RECORD_NAME.exec(name)?.[1]);
    if (!pid) continue;
    const file = path.join(dir, name);
    if (!pidAlive(pid)) {
      await removeDaemonRecord(file);
      continue;
    }
    const record = parseRecord(await readFile(file, 'utf8').catch(() => ''), pid, file);
    if (record) found.push(record);
  }
  return found.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

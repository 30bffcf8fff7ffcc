import { execFile } from 'node:child_process';
import { statfs } from 'node:fs/promises';
import { NoSpaceError } from '../errors.js';

export interface DiskBudgetOptions {
  /** Free bytes always left on the workspaces' file system for the daemon's own state; 0 = off. */
  reserveBytes: number;
  /** Per-container limit on what its workspace may hold, for writes made through the daemon; 0 = off. */
  quotaBytes: number;
  /** A measurement older than this is refreshed in the background on the next write. */
  staleMs?: number;
  /** Workspaces whose usage is remembered (least recently written forgotten first); default 10,000. */
  maxTracked?: number;
  /** Injected for tests; defaults to statfs and `du`. */
  freeBytes?: (dir: string) => Promise<number>;
  measure?: (root: string) => Promise<number>;
}

interface Usage {
  bytes: number;
  at: number;
  refreshing?: Promise<void> | undefined;
}

/** Free bytes for an unprivileged user on the file system holding `dir`. */
export async function freeBytesAt(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

/**
 * Bytes a workspace uses on disk. `du` (fts: descriptor-relative, never follows links, stays on one file
 * system) rather than a hand-written walk: a process in the container may swap directories for links
 * while it runs, and du neither escapes nor loops. Bounded by a timeout; it runs off the request path.
 */
export function duBytes(root: string, timeoutMs = 60_000): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile('du', ['-s', '-x', '-B1', '--', root], { timeout: timeoutMs }, (err, stdout) => {
      const n = Number.parseInt(stdout.split('\t')[0] ?? '', 10);
      // du exits 1 when a file vanished during the walk; its total is still the best we have.
      if (Number.isFinite(n)) resolve(n);
      else reject(err ?? new Error('du printed no total'));
    });
  });
}

/**
 * Decides whether a daemon-side write into a workspace may happen: it must leave the reserve free on the
 * file system, and keep the container under its quota. Free space is asked of the kernel on every write
 * (one statfs); usage is measured in the background and advanced by each write, so no request waits for
 * a walk. A container's first write, before any measurement, is let through while one starts.
 */
export class DiskBudget {
  /**
   * By workspace root, in order of last use. Bounded: entries of deleted containers were never removed, so a
   * daemon that creates and deletes containers grew it forever. A forgotten workspace is measured again on
   * its next write (which, like a first write, goes through while the measurement runs).
   */
  private readonly usage = new Map<string, Usage>();
  private readonly maxTracked: number;
  private readonly staleMs: number;
  private readonly freeBytes: (dir: string) => Promise<number>;
  private readonly measure: (root: string) => Promise<number>;

  constructor(private readonly options: DiskBudgetOptions) {
    this.staleMs = options.staleMs ?? 30_000;
    this.maxTracked = options.maxTracked ?? 10_000;
    this.freeBytes = options.freeBytes ?? freeBytesAt;
    this.measure = options.measure ?? ((root) => duBytes(root));
  }

  /** Throws NoSpaceError when writing `bytes` into the workspace at `root` is over the reserve or quota. */
  async check(root: string, bytes: number): Promise<void> {
    const { reserveBytes, quotaBytes } = this.options;
    const free = await this.freeBytes(root).catch(() => undefined);
    if (reserveBytes > 0 && free !== undefined && free - bytes < reserveBytes) {
      throw new NoSpaceError('the disk is full: no space left for this write; free some space and retry', {
        freeBytes: free,
        reserveBytes,
      });
    }
    if (quotaBytes <= 0) return;
    const used = this.current(root);
    if (used !== undefined && used + bytes > quotaBytes) {
      throw new NoSpaceError("the container's disk quota is used up; delete files and retry", {
        usedBytes: used,
        quotaBytes,
      });
    }
  }

  /** Accounts a write that happened, until the next measurement replaces the estimate. */
  wrote(root: string, bytes: number): void {
    const u = this.usage.get(root);
    if (u) u.bytes += bytes;
  }

  /**
   * After a delete: the next check measures again. The old estimate holds until then, so deleting a file
   * between writes cannot open a window of unmeasured writes.
   */
  invalidate(root: string): void {
    const u = this.usage.get(root);
    if (u) u.at = 0;
  }

  /** The last measurement (plus writes since), starting a refresh when it is stale or missing. */
  private current(root: string): number | undefined {
    let u = this.usage.get(root);
    if (u) {
      this.usage.delete(root); // re-inserted below: the Map's order is the order of last use
    } else {
      u = { bytes: Number.NaN, at: 0 };
    }
    this.usage.set(root, u);
    for (const oldest of this.usage.keys()) {
      if (this.usage.size <= this.maxTracked) break;
      this.usage.delete(oldest);
    }
    if (!u.refreshing && Date.now() - u.at > this.staleMs) {
      const entry = u;
      entry.refreshing = this.measure(root)
        .then((bytes) => {
          entry.bytes = bytes;
          entry.at = Date.now();
        })
        .catch(() => {
          entry.at = Date.now(); // a failing du is retried after staleMs, not on every write
        })
        .finally(() => {
          entry.refreshing = undefined;
        });
    }
    return Number.isNaN(u.bytes) ? undefined : u.bytes;
  }

  /** How many workspaces it remembers (for tests). */
  get tracked(): number {
    return this.usage.size;
  }

  /** Waits for any measurement in flight (tests, and `disco doctor`). */
  async settle(root: string): Promise<void> {
    await this.usage.get(root)?.refreshing;
  }
}

/**
 * A recent answer to "is the file system holding `dir` below the reserve?" for hot paths such as process
 * output, where a statfs per chunk would cost too much: one async statfs every `intervalMs`.
 */
export class ReserveWatch {
  private low = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dir: string,
    private readonly reserveBytes: number,
    private readonly intervalMs = 2000,
    private readonly freeBytes: (dir: string) => Promise<number> = freeBytesAt,
  ) {}

  /** Starts watching (no-op with no reserve); resolves after the first measurement. */
  async start(): Promise<this> {
    if (this.reserveBytes <= 0 || this.timer) return this;
    const tick = () =>
      this.freeBytes(this.dir).then(
        (free) => {
          this.low = free < this.reserveBytes;
        },
        () => {}, // cannot stat: keep the last answer
      );
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref();
    await tick();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  get belowReserve(): boolean {
    return this.low;
  }
}

/** Per container: a token bucket of new destinations and a cap on connections open at once. */
interface Entry {
  tokens: number;
  at: number;
  open: number;
}

export interface LimiterOptions {
  /** Tokens added per second (new destinations a container may open per second). */
  ratePerSecond: number;
  /** Bucket size (the largest burst). */
  burst: number;
  /** Connections a container may hold open at once. */
  maxOpen: number;
}

/**
 * Keeps one flooding container from starving the others or the daemon: O(1) per call, no timers, and
 * an entry is dropped once its container has nothing open and a full bucket (the map stays small).
 */
export class EgressLimiter {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly opts: LimiterOptions) {}

  private entry(containerId: string): Entry {
    let e = this.entries.get(containerId);
    const now = performance.now();
    if (!e) {
      e = { tokens: this.opts.burst, at: now, open: 0 };
      this.entries.set(containerId, e);
    } else {
      e.tokens = Math.min(this.opts.burst, e.tokens + ((now - e.at) / 1000) * this.opts.ratePerSecond);
      e.at = now;
    }
    return e;
  }

  /** A connection opens; false (nothing counted) when the container already holds `maxOpen`. */
  open(containerId: string): boolean {
    const e = this.entry(containerId);
    if (e.open >= this.opts.maxOpen) return false;
    e.open++;
    return true;
  }

  close(containerId: string): void {
    const e = this.entry(containerId);
    e.open = Math.max(0, e.open - 1);
    if (e.open === 0 && e.tokens >= this.opts.burst) this.entries.delete(containerId);
  }

  /** Takes one token for a new destination (a tunnel or a forwarded request); false when empty. */
  take(containerId: string): boolean {
    const e = this.entry(containerId);
    if (e.tokens < 1) return false;
    e.tokens -= 1;
    return true;
  }

  openCount(containerId: string): number {
    return this.entries.get(containerId)?.open ?? 0;
  }
}

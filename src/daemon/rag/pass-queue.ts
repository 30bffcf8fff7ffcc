interface Waiting {
  containerId: string;
  owner: string | undefined;
  start: () => void;
}

/**
 * How many index passes run at once (DISCO_RAG_MAX_PASSES), daemon-wide. Security (resources): each pass is
 * a worker thread with its own heap, SQLite page cache and parsers, and any user with a container can start
 * one per container; without a bound, one user indexing 50 containers ran 50 threads at once. A pass over
 * the bound waits (its status says `queued`); when one ends, the next to start is the oldest waiting pass of
 * the owner with the fewest passes running, so one user's many passes never hold everyone else's back.
 */
export class PassQueue {
  /** Running passes: container id → owner. */
  private readonly running = new Map<string, string | undefined>();
  private readonly waiting: Waiting[] = [];

  constructor(private readonly max: number) {}

  /** Runs `start` now when a slot is free (true), or later, when one frees (false). */
  enter(containerId: string, owner: string | undefined, start: () => void): boolean {
    if (this.running.size < this.max) {
      this.running.set(containerId, owner);
      start();
      return true;
    }
    this.waiting.push({ containerId, owner, start });
    return false;
  }

  /** The container's pass ended, or was cancelled while it waited: its slot (or place) goes to the next. */
  leave(containerId: string): void {
    const i = this.waiting.findIndex((w) => w.containerId === containerId);
    if (i >= 0) this.waiting.splice(i, 1);
    if (!this.running.delete(containerId)) return;
    while (this.running.size < this.max && this.waiting.length > 0) {
      const next = this.waiting.splice(this.fairest(), 1)[0] as Waiting;
      this.running.set(next.containerId, next.owner);
      next.start();
    }
  }

  /** Whether the container's pass waits for a slot. */
  isWaiting(containerId: string): boolean {
    return this.waiting.some((w) => w.containerId === containerId);
  }

  /** The waiting pass to start next: the oldest of the owner with the fewest passes running. */
  private fairest(): number {
    const load = new Map<string | undefined, number>();
    for (const owner of this.running.values()) load.set(owner, (load.get(owner) ?? 0) + 1);
    let best = 0;
    for (let i = 1; i < this.waiting.length; i++) {
      const a = load.get((this.waiting[i] as Waiting).owner) ?? 0;
      const b = load.get((this.waiting[best] as Waiting).owner) ?? 0;
      if (a < b) best = i;
    }
    return best;
  }
}

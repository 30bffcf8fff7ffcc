import type { RunningChild } from '../sandbox/child.js';

export { killGroup } from '../sandbox/child.js';

/**
 * Live processes per container, so deleting a container or stopping the daemon kills everything that
 * container started. The processes/terminals issue grows this into a persisted table.
 */
export class ProcessTable {
  private readonly byContainer = new Map<string, Set<RunningChild>>();

  add(containerId: string, child: RunningChild): void {
    let set = this.byContainer.get(containerId);
    if (!set) {
      set = new Set();
      this.byContainer.set(containerId, set);
    }
    set.add(child);
    child.onExit(() => {
      set.delete(child);
      if (set.size === 0 && this.byContainer.get(containerId) === set) this.byContainer.delete(containerId);
    });
  }

  count(containerId?: string): number {
    if (containerId !== undefined) return this.byContainer.get(containerId)?.size ?? 0;
    let n = 0;
    for (const set of this.byContainer.values()) n += set.size;
    return n;
  }

  /** Containers with at least one running process. */
  containerIds(): string[] {
    return [...this.byContainer.keys()];
  }

  killContainer(containerId: string): number {
    const set = this.byContainer.get(containerId);
    if (!set) return 0;
    for (const child of set) child.killGroup();
    return set.size;
  }

  killAll(): number {
    let n = 0;
    for (const id of [...this.byContainer.keys()]) n += this.killContainer(id);
    return n;
  }
}

import type { Logger } from '../log.js';
import type { TerminalManager } from '../terminals/manager.js';
import type { WorkbenchHub } from '../webcontainer/hub.js';
import type { ProcessManager } from '../workspace/process-manager.js';
import type { ContainerService } from './service.js';

export interface IdlePolicy {
  /** Stop a ready container unused this long; 0 never. */
  stopAfterMs: number;
  /** Delete a stopped, unpinned container unused this long; 0 never. */
  deleteAfterMs: number;
}

/** True while something runs in the container that makes it "in use" whatever its last API call. */
export type InUseCheck = (containerId: string) => boolean;

/** What, in the daemon, makes a container in use. */
export interface UseSources {
  processes: Pick<ProcessManager, 'foregroundContainers'>;
  terminals: Pick<TerminalManager, 'list'>;
  workbench?: Pick<WorkbenchHub, 'inUseIds'>;
  previews?: { openContainers(): Iterable<string> };
}

/**
 * The containers in use in this daemon now: a command someone waits for (a foreground one; a background
 * command alone is not use, so a forgotten dev server ends with its container's idle stop), a terminal
 * with a client attached, a workbench page someone has open, or a preview WebSocket open in a browser
 * (a dev server's live reload: someone is looking at it). Preview requests mark use as they come.
 */
export function containersInUse(s: UseSources): Set<string> {
  const ids = s.processes.foregroundContainers();
  for (const t of s.terminals.list(undefined)) if (t.running && t.attached > 0) ids.add(t.spec.containerId);
  for (const id of s.workbench?.inUseIds() ?? []) ids.add(id);
  for (const id of s.previews?.openContainers() ?? []) ids.add(id);
  return ids;
}

export function inUseInProcess(sources: UseSources): InUseCheck {
  return (id) => containersInUse(sources).has(id);
}

/**
 * Stops containers nobody has used for a while (their processes and terminals are killed, files kept)
 * and, when configured, deletes stopped ones later unless pinned. A container in use is skipped, whatever
 * its last API call. The same sweep runs in the daemon and in `disco worker` (the `idle-containers`
 * job); what differs is how "in use" is seen and who ends the processes — the ContainerService's
 * lifecycle listeners. Each sweep is idempotent.
 */
export class IdleReaper {
  constructor(
    private readonly containers: ContainerService,
    private readonly inUse: InUseCheck,
    private readonly policy: IdlePolicy,
    private readonly log: Logger,
  ) {}

  async sweep(now = Date.now()): Promise<{ stopped: string[]; deleted: string[] }> {
    const stopped: string[] = [];
    const deleted: string[] = [];
    if (this.policy.stopAfterMs === 0) return { stopped, deleted };
    const { toStop, toDelete } = this.containers.idle(
      now - this.policy.stopAfterMs,
      this.policy.deleteAfterMs > 0 ? now - this.policy.deleteAfterMs : undefined,
    );
    for (const c of toStop) {
      if (this.inUse(c.id)) continue;
      this.containers.stop(c, 'idle');
      stopped.push(c.id);
    }
    for (const c of toDelete) {
      if (this.inUse(c.id)) continue;
      try {
        await this.containers.delete(c.ownerId, c.id);
        deleted.push(c.id);
        this.log.info({ containerId: c.id, idleSince: new Date(c.lastUsedAt).toISOString() }, 'idle container deleted');
      } catch (err) {
        this.log.error({ err, containerId: c.id }, 'could not delete an idle container');
      }
    }
    return { stopped, deleted };
  }
}

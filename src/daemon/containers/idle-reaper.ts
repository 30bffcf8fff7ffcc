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

/**
 * In the daemon: a running process, a terminal with a client attached, or a workbench page someone has
 * open (a webcontainer container's page: its own terminal and preview are use the daemon never sees).
 */
export function inUseInProcess(
  processes: ProcessManager,
  terminals: TerminalManager,
  workbench?: Pick<WorkbenchHub, 'inUse'>,
): InUseCheck {
  return (id) =>
    processes.running(id).length > 0 ||
    terminals.list(undefined, id).some((t) => t.running && t.attached > 0) ||
    workbench?.inUse(id) === true;
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

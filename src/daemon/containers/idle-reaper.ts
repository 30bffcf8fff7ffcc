import type { Logger } from '../log.js';
import type { TerminalManager } from '../terminals/manager.js';
import type { ProcessManager } from '../workspace/process-manager.js';
import type { ContainerService } from './service.js';

export interface IdlePolicy {
  /** Stop a ready container unused this long; 0 never. */
  stopAfterMs: number;
  /** Delete a stopped, unpinned container unused this long; 0 never. */
  deleteAfterMs: number;
}

/**
 * Stops containers nobody has used for a while (their processes and terminals are killed, files kept)
 * and, when configured, deletes stopped ones later unless pinned. A container with a running process or
 * an attached terminal is in use, whatever its last API call. Each sweep is idempotent; the scale issue
 * moves it into `disco worker`.
 */
export class IdleReaper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly containers: ContainerService,
    private readonly processes: ProcessManager,
    private readonly terminals: TerminalManager,
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

  private inUse(containerId: string): boolean {
    return (
      this.processes.running(containerId).length > 0 ||
      this.terminals.list(undefined, containerId).some((t) => t.running && t.attached > 0)
    );
  }

  /** Sweeps every `everyMs` (at most one sweep at a time). */
  start(everyMs: number): void {
    if (this.policy.stopAfterMs === 0 || this.timer) return;
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .catch((err) => this.log.error({ err }, 'idle sweep failed'))
        .finally(() => {
          this.running = undefined;
        });
    }, everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}

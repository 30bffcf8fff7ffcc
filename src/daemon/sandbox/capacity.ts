import { ConflictError, DiscoError } from '../errors.js';

/** How many live sandboxes may run (DISCO_MAX_LIVE_SANDBOXES, DISCO_MAX_LIVE_SANDBOXES_PER_USER); 0: no limit. */
export interface CapacityLimits {
  maxLive: number;
  maxLivePerUser: number;
}

/** What the pool asks the rest of the daemon about a container (set in core, once the services exist). */
export interface CapacityHooks {
  /** The container's owner; undefined for a container without a row (it counts only against the daemon's cap). */
  ownerOf(containerId: string): string | undefined;
  /**
   * Whether someone uses the container through something besides a process of its sandbox: a terminal, a
   * browser session or a preview WebSocket (a sandbox with a process running is busy anyway).
   */
  inUse(containerId: string): boolean;
  /** Stops the container as an idle stop does: its sandbox ends, its files stay, its next command starts it. */
  evict(containerId: string): void;
}

/** A live sandbox as the pool sees it. */
export interface LiveSandbox {
  containerId: string;
  /** Its container's owner (read once, when it started). */
  owner: string | undefined;
  /** When a command, terminal, browser, git call or connection last asked for it (ms). */
  lastUsed: number;
  /** Starting, or something runs in it: never evicted. */
  busy: boolean;
}

/** The live sandboxes a start must stop first (least recently used first), or `skip` when a prestart should not happen. */
export type Admission = { victims: string[] } | { skip: true };

/**
 * The bound on live sandboxes. Security: every sandbox is a bwrap and a Node supervisor (tens of MB), and
 * any user with the `containers` scope can create containers and run commands in them; without this bound
 * one user could start sandboxes until the host runs out of memory for everyone.
 *
 * The rule: a start over the daemon's cap, or over its owner's own, first stops the least recently used
 * *idle* sandboxes — nothing running in them (background processes included: a dev server is never killed
 * to make room), no terminal, browser or preview WebSocket, not starting — the owner's own
 * for the owner's limit, anyone's for the daemon's cap. When too few are idle, the start is refused and
 * nothing is stopped. A prestart (a warm container) never stops anything and happens only while fewer than
 * half of either limit run.
 */
export class SandboxCapacity {
  /** More ways a container is in use, known only to the HTTP daemon (its preview WebSockets). */
  private readonly extraInUse: ((containerId: string) => boolean)[] = [];

  constructor(
    readonly limits: CapacityLimits,
    private readonly hooks: CapacityHooks,
  ) {}

  /** Adds a way a container is in use (an idle sandbox is one no check claims). */
  alsoInUse(check: (containerId: string) => boolean): void {
    this.extraInUse.push(check);
  }

  private inUse(containerId: string): boolean {
    return this.hooks.inUse(containerId) || this.extraInUse.some((check) => check(containerId));
  }

  /**
   * Decides a start of a sandbox of `owner`'s container beside `live` (the others, its own not among them).
   * Throws the typed refusal; evicts nothing itself (the pool stops the victims it returns).
   */
  admit(owner: string | undefined, live: readonly LiveSandbox[], prestart = false): Admission {
    const { maxLive, maxLivePerUser } = this.limits;
    const mine = owner === undefined ? [] : live.filter((s) => s.owner === owner);
    if (prestart) {
      const globalRoom = maxLive === 0 || live.length + 1 <= Math.floor(maxLive / 2);
      const userRoom = maxLivePerUser === 0 || owner === undefined || mine.length + 1 <= Math.floor(maxLivePerUser / 2);
      return globalRoom && userRoom ? { victims: [] } : { skip: true };
    }
    const idle = (list: readonly LiveSandbox[]) =>
      list
        .filter((s) => !s.busy && !this.inUse(s.containerId))
        .sort((a, b) => a.lastUsed - b.lastUsed)
        .map((s) => s.containerId);
    const victims: string[] = [];
    if (maxLivePerUser > 0 && owner !== undefined) {
      const over = mine.length + 1 - maxLivePerUser;
      if (over > 0) {
        const own = idle(mine);
        if (own.length < over) {
          throw new ConflictError(
            `you run your maximum of ${maxLivePerUser} live sandboxes and each is busy; stop one of your containers (disco containers stop …) or wait for its commands to end`,
            { limit: 'live_sandboxes_per_user', max: maxLivePerUser },
          );
        }
        victims.push(...own.slice(0, over));
      }
    }
    if (maxLive > 0) {
      const over = live.length + 1 - victims.length - maxLive;
      if (over > 0) {
        const chosen = new Set(victims);
        const any = idle(live).filter((id) => !chosen.has(id));
        if (any.length < over) {
          throw new DiscoError(
            'unavailable',
            `the daemon runs its maximum of ${maxLive} live sandboxes and each is busy; stop a container (disco containers stop …) or try later`,
            { limit: 'live_sandboxes', max: maxLive },
          );
        }
        victims.push(...any.slice(0, over));
      }
    }
    return { victims };
  }

  /** The owner of a container about to start. */
  ownerOf(containerId: string): string | undefined {
    return this.hooks.ownerOf(containerId);
  }

  /** Evicts one victim (the container stops as an idle stop does). */
  evict(containerId: string): void {
    this.hooks.evict(containerId);
  }
}

import type { GitRelay } from '../egress/git-relay.js';
import type { NetworkMode } from '../sandbox/network-mode.js';
import type { SandboxPool } from '../sandbox/pool.js';
import type { GitProtocol } from './git-runner.js';
import type { Sandbox } from './sandbox.js';

/** What every git operation of one container runs with: its workspace, sandbox, limits and identity. */
export interface GitContext {
  root: string;
  timeoutMs: number;
  protocols: readonly GitProtocol[];
  /** Git runs in the container's sandbox, with the container's network mode. */
  sandbox?: Sandbox;
  network: boolean | NetworkMode;
  /** The container's live sandbox (mode bwrap): git runs there unless it needs extra binds. */
  live?: { pool: SandboxPool; containerId: string };
  /** The container (its cgroups). */
  containerId?: string;
  /** Disco's state and containers directories: a file remote reaching either is refused. */
  stateDir: string;
  containersDir: string;
  signal?: AbortSignal;
  /** Who commits: name and email for author and committer. */
  identity: { name: string; email: string };
  /**
   * The user's token for one https host (their linked GitHub account), sent as an Authorization header to
   * that host only. It goes to git through the environment (GIT_CONFIG_*): never in a URL, an argument,
   * a config file or a log.
   */
  credentials?: { urlPrefix: string; token: string };
  /** The daemon's git relay (egress mode): how the token is used without entering the sandbox. */
  relay?: GitRelay;
  /** Internal: run git in a one-off sandbox of its own (own pid namespace) with the container's network. */
  isolated?: boolean;
}

import type { AuthService } from '../auth/service.js';
import type { ViewLinks } from '../auth/view-links.js';
import type { BrowserService } from '../browser/service.js';
import type { Cluster } from '../cluster/cluster.js';
import type { Config } from '../config.js';
import type { ContainerService } from '../containers/service.js';
import type { EgressProxy } from '../egress/proxy.js';
import type { Logger } from '../log.js';
import type { PreviewService } from '../preview/service.js';
import type { RagService } from '../rag/service.js';
import type { ContainerNets } from '../sandbox/container-nets.js';
import type { SandboxPool } from '../sandbox/pool.js';
import type { TerminalManager } from '../terminals/manager.js';
import type { WorkbenchHub } from '../webcontainer/hub.js';
import type { CommandPolicy } from '../workspace/command-policy.js';
import type { WorkspaceFiles } from '../workspace/files.js';
import type { ProcessManager } from '../workspace/process-manager.js';
import type { ProcessTable } from '../workspace/process-table.js';
import type { Sandbox } from '../workspace/sandbox.js';
import type { OpObserver } from './observe.js';

/** What ops may use. Built once in daemon/main.ts and passed down; ops never construct services. */
export interface Services {
  config: Config;
  containers: ContainerService;
  files: WorkspaceFiles;
  processes: ProcessTable;
  processManager: ProcessManager;
  sandbox: Sandbox;
  /** The containers' live sandboxes (mode bwrap only). */
  sandboxes?: SandboxPool;
  policy: CommandPolicy;
  terminals: TerminalManager;
  auth: AuthService;
  /** Present with REDIS_URL: routes ops to the instance that holds their container. */
  cluster?: Cluster;
  rag: RagService;
  /** Polices and counts what containers in `egress` network mode send out (the sandbox hands it connections). */
  egress: EgressProxy;
  /** What listens inside containers, and a way in (previews). */
  nets: ContainerNets;
  previews: PreviewService;
  /** Browsers of containers (computer use), inside their sandboxes. */
  browsers?: BrowserService;
  log: Logger;
  /** Told about every op call (metrics); absent over stdio. */
  observer?: OpObserver;
  /** The webcontainer runtime: attached workbench pages, their attach links and ports. */
  workbench?: WorkbenchHub;
  /** Signs the short-lived links that search and fetch give as citation URLs (pages a person can open). */
  viewLinks?: ViewLinks;
}

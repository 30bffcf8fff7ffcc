import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type AdminTokenSource, bootstrapSlotOf, ensureAdminToken } from './auth/admin-token.js';
import { AccessTokens } from './auth/jwt.js';
import { ClientRegistry } from './auth/oauth/clients.js';
import { AuthorizationServer } from './auth/oauth/server.js';
import { RecordSeal } from './auth/record-seal.js';
import { loadSecretBox } from './auth/secret-box.js';
import { AuthService } from './auth/service.js';
import { loadSigningKeys } from './auth/signing-keys.js';
import { SqliteTokenStore } from './auth/token-store.js';
import { ViewLinks } from './auth/view-links.js';
import { BrowserService } from './browser/service.js';
import type { connectRedis } from './cluster/redis.js';
import { RedisTokenStore } from './cluster/redis-token-store.js';
import { type Config, isLoopbackHost } from './config.js';
import { ContainerService } from './containers/service.js';
import { WarmPool } from './containers/warm-pool.js';
import { AuditRepo } from './db/audit-repo.js';
import { ContainersRepo } from './db/containers-repo.js';
import { GrantsRepo } from './db/grants-repo.js';
import { type Db, openDatabase } from './db/open.js';
import { PreviewRepo } from './db/preview-repo.js';
import { ProcessesRepo } from './db/processes-repo.js';
import { RAG_PAGE_CACHE_KIB, RagRepo } from './db/rag-repo.js';
import { TokensRepo } from './db/tokens-repo.js';
import { UsersRepo } from './db/users-repo.js';
import type { DomainRules } from './egress/policy.js';
import { EgressProxy } from './egress/proxy.js';
import type { Logger } from './log.js';
import { OPS } from './ops/index.js';
import type { Op, Principal } from './ops/op.js';
import { SCOPES } from './ops/op.js';
import type { Services } from './ops/services.js';
import { PreviewService } from './preview/service.js';
import { RagService } from './rag/service.js';
import { ragSettings } from './rag/settings.js';
import { SandboxCapacity } from './sandbox/capacity.js';
import { detectCgroups } from './sandbox/cgroups-detect.js';
import { ContainerNets } from './sandbox/container-nets.js';
import { HostContainerNet } from './sandbox/host-net.js';
import { SandboxPool } from './sandbox/pool.js';
import { TerminalManager } from './terminals/manager.js';
import { AttachTokens } from './webcontainer/attach-token.js';
import { headlessPages } from './webcontainer/headless.js';
import { WorkbenchHub } from './webcontainer/hub.js';
import { CommandPolicy } from './workspace/command-policy.js';
import { killContainerPids } from './workspace/container-pids.js';
import { DiskBudget, ReserveWatch } from './workspace/disk-budget.js';
import { WorkspaceFiles } from './workspace/files.js';
import { processLogDir } from './workspace/output-log.js';
import { ProcessManager } from './workspace/process-manager.js';
import { ProcessTable } from './workspace/process-table.js';
import { detectSandbox, sandboxOptions } from './workspace/sandbox-detect.js';

export const DB_FILE = 'disco.db';

/** Everything a surface (HTTP daemon or stdio MCP) needs: state, services, the registry, the admin identity. */
export interface Core {
  db: Db;
  services: Services;
  ops: readonly Op[];
  /** The bootstrap token this process was given and registered; only `disco serve` has one. */
  adminToken: { token: string; source: AdminTokenSource } | undefined;
  /** The Redis connection shared by several instances (REDIS_URL); absent in single-instance mode. */
  shared: ReturnType<typeof connectRedis> | undefined;
  /** The OAuth 2.1 authorization server (for MCP clients such as ChatGPT, and `disco login`). */
  oauth: AuthorizationServer;
  /** The admin user, who owns the bootstrap token; over stdio the local caller acts as them. */
  admin: Principal;
  /** Kills container processes (recording their end) and closes the database. */
  close(): Promise<void>;
}

export interface CoreOptions {
  /**
   * Whether this process takes bearer tokens (`disco serve`), and so reads or generates the bootstrap token
   * and registers it. The stdio server acts as the admin over its pipe and needs none.
   */
  bootstrapToken: boolean;
}

export async function openCore(config: Config, log: Logger, options: CoreOptions): Promise<Core> {
  await mkdir(config.home, { recursive: true, mode: 0o700 });
  // Perf: bubblewrap's trial run goes on in the background while the database and keys are opened.
  const sandboxDetected = detectSandbox(config.sandbox, sandboxOptions(config));
  sandboxDetected.catch(() => {}); // awaited below; a start that fails before then must not leave it unhandled
  const dbFile = path.join(config.home, DB_FILE);
  const db = openDatabase(dbFile);
  let shared: ReturnType<typeof connectRedis> | undefined;
  try {
    const users = new UsersRepo(db);
    const adminUser = users.ensureAdmin();
    // Security: a bootstrap token is adopted only by the process that was given it. Only the daemon, which
    // answers bearer tokens, registers one, and a new one revokes just the previous one from the same slot
    // (DISCO_ADMIN_TOKEN, or the token file): an operator who changes DISCO_ADMIN_TOKEN for `disco serve`
    // shuts the old one out, while `disco mcp` (started by an editor with whatever environment it has) and
    // `disco worker` never read, write, register or revoke one, so none of them can lock the daemon out.
    const adminToken = options.bootstrapToken ? await ensureAdminToken(config.home, config.adminToken) : undefined;
    const keys = await loadSigningKeys(config.home, config.jwtSecret);
    if (config.redisUrl) {
      // Perf: ioredis is loaded only by instances that use Redis (a third of a second off every other start).
      const { connectRedis, redisReady } = await import('./cluster/redis.js');
      shared = connectRedis(config.redisUrl, log);
      await redisReady(shared.redis, 10_000);
    }
    const refreshTtlMs = config.refreshTokenTtlDays * 86_400_000;
    // loadConfig requires DISCO_JWT_SECRET with REDIS_URL: the shared records are sealed with a key from it.
    const tokenStore = shared
      ? new RedisTokenStore(shared.redis, refreshTtlMs, new RecordSeal(config.jwtSecret ?? ''), log)
      : new SqliteTokenStore(new TokensRepo(db));
    const auth = new AuthService(users, tokenStore, new AuditRepo(db), new AccessTokens(keys), {
      accessTtlSeconds: config.accessTokenTtlSeconds,
      refreshTtlMs,
      refreshGraceMs: config.refreshGraceSeconds * 1000,
      box: await loadSecretBox(config.home, config.jwtSecret),
    });
    if (adminToken)
      await auth.registerBootstrapToken(adminToken.token, adminUser.id, bootstrapSlotOf(adminToken.source));
    const oauth = new AuthorizationServer(
      auth,
      new ClientRegistry(db, config.oauthRedirectUris, isLoopbackHost(config.host)),
      new GrantsRepo(db),
      tokenStore,
    );
    const processes = new ProcessTable();
    const sandbox = await sandboxDetected;
    if (sandbox.mode === 'none') {
      log.warn(
        { sandbox: sandbox.reason, commands: sandbox.commands },
        sandbox.commands === 'admins'
          ? 'container commands are NOT sandboxed: only admins may run commands, terminals and git (set DISCO_SANDBOX=none to allow everyone)'
          : 'container commands are NOT sandboxed and everyone may run them (DISCO_SANDBOX=none): they can read the daemon state',
      );
    } else log.info(sandbox.report(), 'container commands are sandboxed');
    // What containers in `egress` network mode send out: their sandbox's socket hands each connection here.
    // Each container's own domain lists narrow the global ones (read per connection: `containers` is set below).
    let containerRules: ((id: string) => DomainRules | undefined) | undefined;
    const egress = EgressProxy.fromConfig(config, {
      audit: (e) => auth.audit(e),
      log,
      policyFor: (id) => containerRules?.(id),
    });
    // One live sandbox per running container (mode bwrap): every command, terminal and git call joins it.
    const sandboxes =
      sandbox.mode === 'bwrap'
        ? new SandboxPool(sandbox, {
            runDir: path.join(config.home, 'sandbox-run'),
            log,
            egress: (containerId, conn) => egress.handle(containerId, conn),
            browserDir: path.join(config.home, 'browser'),
            spawner: config.sandboxSpawner,
          })
        : undefined;
    if (sandboxes) sandbox.spawner = () => sandboxes.spawnerReport();
    const cgroups = detectCgroups(config);
    sandbox.cgroups = cgroups;
    const leftover = await cgroups.cleanup();
    if (leftover > 0) log.warn({ groups: leftover }, 'container cgroups of a previous daemon were found and ended');
    log.info(cgroups.report(), 'per-container limits');
    const outputReserve = await new ReserveWatch(config.home, config.diskReserveMb * 1024 * 1024).start();
    const processManager = new ProcessManager(
      new ProcessesRepo(db),
      processes,
      processLogDir(config.home),
      config.processLogMaxBytes,
      sandbox,
      (err, context) => log.error({ err, ...context }, 'cannot write process history'),
      outputReserve,
      sandboxes,
    );
    const reconciled = processManager.reconcile();
    if (reconciled.lost > 0) log.warn(reconciled, 'processes of a previous daemon were found and ended');
    const pool = new WarmPool(path.join(config.containersDir, '.pool'), config.poolSize, log, sandbox.owner);
    const containersRepo = new ContainersRepo(db);
    const containers = new ContainerService(containersRepo, config.containersDir, processes, log, pool, sandbox.owner);
    containers.maxPerOwner = config.maxContainersPerUser;
    containerRules = (id) => containers.egressRules(id);
    // A warm container is ready at once: its sandbox starts now, so its first command need not wait for it —
    // only while the live sandboxes leave room to spare (a prestart never stops another sandbox).
    containers.prestart = (c) =>
      void sandboxes
        ?.prestart({ containerId: c.id, root: c.root, network: c.network })
        ?.catch((err) => log.warn({ err, containerId: c.id }, 'cannot start the sandbox of a warm container'));
    const policy = new CommandPolicy({
      mode: config.commandPolicy,
      deny: config.commandDeny,
      allow: config.commandAllow,
    });
    const terminals = new TerminalManager(
      sandbox,
      policy,
      log,
      {
        scrollbackChars: 512 * 1024,
        maxPerContainer: 16,
        detachedTtlMs: config.terminalDetachedMinutes * 60_000,
      },
      sandboxes,
    );
    const rag = new RagService(
      new RagRepo(db, () => openDatabase(dbFile, [], { pageCacheKib: RAG_PAGE_CACHE_KIB })),
      ragSettings(config, dbFile),
      log,
    );
    // Containers on the host's network (no sandbox, or mode `host`) are reached only on ports their own
    // processes hold (HostContainerNet: a dial inside the host namespace could reach the daemon itself);
    // the others through their live sandbox's supervisor, inside their own namespace.
    const nets = new ContainerNets(
      (id) => {
        const row = containersRepo.get(id);
        if (row?.runtime === 'webcontainer') return 'webcontainer';
        return sandbox.mode === 'none' || row?.network === 'host' ? 'host' : 'sandbox';
      },
      new HostContainerNet(() => processes.containerIds()),
    );
    if (sandboxes) nets.attachSandboxed(sandboxes);
    // The webcontainer runtime: containers whose commands run in a workbench page attached over Socket.IO.
    const files = new WorkspaceFiles({
      readMaxBytes: config.fileReadMaxBytes,
      writeMaxBytes: config.fileWriteMaxBytes,
      // What the daemon creates in a workspace belongs to the sandbox uid of a root daemon.
      owner: sandbox.owner,
      budget: new DiskBudget({
        reserveBytes: config.diskReserveMb * 1024 * 1024,
        quotaBytes: config.containerDiskMb * 1024 * 1024,
      }),
    });
    const workbench = new WorkbenchHub(
      config,
      containersRepo,
      files,
      new AttachTokens(keys, config.webcontainerAttachTtlSeconds),
      log,
      headlessPages(config, log),
    );
    nets.attachPages(workbench);
    processManager.workbench = workbench;
    terminals.workbench = workbench;
    const previewRepo = new PreviewRepo(db);
    const previews = new PreviewService(previewRepo, {
      domain: config.previewDomain,
      scheme:
        config.publicUrl?.startsWith('http:') || /(^|\.)localhost(:\d+)?$/.test(config.previewDomain ?? '')
          ? 'http'
          : 'https',
    });
    // Computer use: each browser is a Chromium inside its container's sandbox (none without one).
    const browsers = new BrowserService(sandbox, sandboxes, {
      profilesDir: path.join(config.home, 'browser'),
      idleMs: config.browserIdleMinutes * 60_000,
      max: config.browserMax,
      log,
    });
    containers.onLifecycle((id, event) => {
      terminals.endContainer(id);
      workbench.endContainer(id);
      browsers.endContainer(id);
      killContainerPids(id); // what escaped its process group (setsid, daemons) ends with its container too
      // The container's sandbox and everything in it; its cgroups go once it has, before any restart, and
      // (deleted) its browser profiles, which were the sandbox's to write until then.
      const gone = async () => {
        const cgroupsGone = cgroups.remove(id);
        if (event === 'delete') {
          await browsers
            .dropProfiles(id)
            .catch((err) => log.warn({ err, containerId: id }, 'cannot remove browser profiles'));
        }
        await cgroupsGone;
      };
      if (sandboxes) sandboxes.stop(id, gone);
      else gone().catch((err) => log.warn({ err, containerId: id }, 'cannot remove container cgroups'));
      if (event === 'delete') {
        processManager.removeContainer(id);
        previews.dropContainer(id);
        rag.drop(id).catch((err) => log.warn({ err, containerId: id }, 'cannot drop rag index'));
      }
    });
    // Security: the bound on live sandboxes (sandbox/capacity.ts); an evicted one stops as an idle stop does.
    sandboxes?.setCapacity(
      new SandboxCapacity(
        { maxLive: config.maxLiveSandboxes, maxLivePerUser: config.maxLiveSandboxesPerUser },
        {
          ownerOf: (id) => containersRepo.get(id)?.ownerId,
          inUse: (id) =>
            browsers.list(id).length > 0 ||
            terminals.list(undefined).some((t) => t.running && t.spec.containerId === id),
          evict: (id) => {
            const row = containersRepo.get(id);
            if (row && row.status !== 'deleting') containers.stop(row, 'capacity');
          },
        },
      ),
    );
    await containers.init();
    await rag.resume(async (id, ownerId) => (await containers.get(ownerId, id).catch(() => undefined))?.root);
    const services: Services = {
      config,
      containers,
      files,
      workbench,
      processes,
      processManager,
      sandbox,
      ...(sandboxes ? { sandboxes } : {}),
      policy,
      terminals,
      auth,
      rag,
      egress,
      log,
      nets,
      previews,
      viewLinks: new ViewLinks(keys, config.citationLinkTtlSeconds),
      browsers,
    };
    return {
      db,
      services,
      ops: OPS as unknown as readonly Op[],
      adminToken,
      shared,
      oauth,
      admin: { userId: adminUser.id, userName: adminUser.name, isAdmin: true, scopes: new Set(SCOPES), via: 'local' },
      close: async () => {
        egress.close();
        await browsers.shutdown();
        await workbench.shutdown();
        await pool.stop();
        terminals.shutdown();
        await processManager.shutdown();
        outputReserve.stop();
        processes.killAll();
        sandboxes?.shutdown();
        await cgroups.shutdown();
        await rag.close();
        db.close();
      },
    };
  } catch (err) {
    await shared?.close();
    db.close();
    throw err;
  }
}

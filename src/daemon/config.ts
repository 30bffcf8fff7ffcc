import os from 'node:os';
import path from 'node:path';
import type { z } from 'zod';
import { isLoopbackHost } from '../shared/defaults.js';
import { DEFAULT_PORT, intIn, SETTINGS, type SettingKey, type Settings } from './settings.js';

export { DEFAULT_PORT, SETTINGS, type SettingKey } from './settings.js';
export { isLoopbackHost };

export interface Config {
  host: string;
  port: number;
  home: string;
  containersDir: string;
  adminToken: string | undefined;
  logLevel: z.infer<Settings['logLevel']['schema']>;
  allowedOrigins: string[];
  allowedHosts: string[];
  execTimeoutMs: number;
  execMaxTimeoutMs: number;
  execMaxOutputBytes: number;
  fileReadMaxBytes: number;
  fileWriteMaxBytes: number;
  shutdownGraceMs: number;
  poolSize: number;
  sandbox: 'auto' | 'bwrap' | 'none';
  bwrap: string;
  sandboxUid: number;
  sandboxGid: number;
  commandPolicy: 'deny-list' | 'allow-list';
  commandDeny: string[];
  commandAllow: string[];
  gitProtocols: Array<'https' | 'http' | 'file'>;
  limitMemoryMb: number;
  limitCpuSeconds: number;
  limitProcesses: number;
  limitFileSizeMb: number;
  containerMemoryMb: number;
  containerPids: number;
  containerCpus: number;
  allowHostNetwork: boolean;
  idleStopMinutes: number;
  idleDeleteHours: number;
  terminalDetachedMinutes: number;
  browserIdleMinutes: number;
  browserMax: number;
  gitTimeoutMs: number;
  processLogMaxBytes: number;
  minFreeDiskMb: number;
  diskReserveMb: number;
  containerDiskMb: number;
  metricsPort: number | undefined;
  egressAllowDomains: string[];
  egressDenyDomains: string[];
  egressAllowCidrs: string[];
  egressRatePerSecond: number;
  egressMaxConnections: number;
  publicUrl: string | undefined;
  previewDomain: string | undefined;
  mcpStateless: boolean;
  redisUrl: string | undefined;
  instanceUrl: string | undefined;
  jwtSecret: string | undefined;
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
  refreshGraceSeconds: number;
  trustProxy: boolean;
  oauthRedirectUris: string[];
  githubClientId: string | undefined;
  githubClientSecret: string | undefined;
  githubUrl: string;
  githubApiUrl: string;
  githubAllowedUsers: string[];
  frameAncestors: string[];
  rateLimitPerMinute: number;
  authRateLimitPerMinute: number;
  embeddingsUrl: string | undefined;
  embeddingsModel: string;
  embeddingsKey: string | undefined;
  embeddingsDimensions: number | undefined;
  embeddingsBatch: number;
  ragMaxFileBytes: number;
  ragMaxFiles: number;
  ragChunkChars: number;
  ragWatch: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type ConfigFlags = Partial<Record<'host' | 'port' | 'home', string | number>>;

function parseSetting<K extends SettingKey>(key: K, raw: unknown, source: string): z.infer<Settings[K]['schema']> {
  const result = SETTINGS[key].schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigError(`${source}: ${issue?.message ?? 'invalid value'} (got ${JSON.stringify(raw)})`);
  }
  return result.data as z.infer<Settings[K]['schema']>;
}

/**
 * Reads the configuration once from flags (highest), `DISCO_*` variables, Railway's `PORT`, then defaults.
 * Throws ConfigError with a one-line message naming the flag or variable at fault.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, flags: ConfigFlags = {}): Config {
  const pick = <K extends SettingKey>(key: K): z.infer<Settings[K]['schema']> | undefined => {
    const setting: { env: string; flag?: string } = SETTINGS[key];
    const flagValue = (flags as Record<string, unknown>)[key];
    if (flagValue !== undefined && setting.flag) return parseSetting(key, flagValue, setting.flag);
    const envValue = env[setting.env];
    if (envValue !== undefined && envValue !== '') return parseSetting(key, envValue, setting.env);
    return undefined;
  };

  const railwayPort =
    env.PORT !== undefined && env.PORT !== ''
      ? (() => {
          const r = intIn(0, 65535).safeParse(env.PORT);
          if (!r.success)
            throw new ConfigError(`PORT: expected an integer between 0 and 65535 (got ${JSON.stringify(env.PORT)})`);
          return r.data;
        })()
      : undefined;

  const home = path.resolve(pick('home') ?? path.join(os.homedir(), '.disco'));
  const config: Config = {
    host: pick('host') ?? (railwayPort !== undefined ? '0.0.0.0' : '127.0.0.1'),
    port: pick('port') ?? railwayPort ?? DEFAULT_PORT,
    home,
    containersDir: path.resolve(pick('containersDir') ?? path.join(home, 'containers')),
    adminToken: pick('adminToken'),
    logLevel: pick('logLevel') ?? 'info',
    allowedOrigins: pick('allowedOrigins') ?? ['https://chatgpt.com'],
    allowedHosts: pick('allowedHosts') ?? [],
    execTimeoutMs: pick('execTimeoutMs') ?? 60_000,
    execMaxTimeoutMs: pick('execMaxTimeoutMs') ?? 600_000,
    execMaxOutputBytes: pick('execMaxOutputBytes') ?? 1024 * 1024,
    fileReadMaxBytes: pick('fileReadMaxBytes') ?? 5 * 1024 * 1024,
    fileWriteMaxBytes: pick('fileWriteMaxBytes') ?? 25 * 1024 * 1024,
    shutdownGraceMs: pick('shutdownGraceMs') ?? 10_000,
    poolSize: pick('poolSize') ?? 2,
    sandbox: pick('sandbox') ?? 'auto',
    bwrap: pick('bwrap') ?? 'bwrap',
    sandboxUid: pick('sandboxUid') ?? 65534,
    sandboxGid: pick('sandboxGid') ?? pick('sandboxUid') ?? 65534,
    commandPolicy: pick('commandPolicy') ?? 'deny-list',
    commandDeny: pick('commandDeny') ?? [],
    commandAllow: pick('commandAllow') ?? [],
    gitProtocols: pick('gitProtocols') ?? ['https'],
    limitMemoryMb: pick('limitMemoryMb') ?? 4096,
    limitCpuSeconds: pick('limitCpuSeconds') ?? 0,
    limitProcesses: pick('limitProcesses') ?? 2048,
    limitFileSizeMb: pick('limitFileSizeMb') ?? 4096,
    containerMemoryMb: pick('containerMemoryMb') ?? 8192,
    containerPids: pick('containerPids') ?? 4096,
    containerCpus: pick('containerCpus') ?? 0,
    allowHostNetwork: pick('allowHostNetwork') ?? false,
    idleStopMinutes: pick('idleStopMinutes') ?? 60,
    idleDeleteHours: pick('idleDeleteHours') ?? 0,
    terminalDetachedMinutes: pick('terminalDetachedMinutes') ?? 30,
    browserIdleMinutes: pick('browserIdleMinutes') ?? 10,
    browserMax: pick('browserMax') ?? 4,
    gitTimeoutMs: pick('gitTimeoutMs') ?? 300_000,
    processLogMaxBytes: pick('processLogMaxBytes') ?? 8 * 1024 * 1024,
    minFreeDiskMb: pick('minFreeDiskMb') ?? 512,
    diskReserveMb: pick('diskReserveMb') ?? 64,
    containerDiskMb: pick('containerDiskMb') ?? 0,
    metricsPort: pick('metricsPort'),
    egressAllowDomains: pick('egressAllowDomains') ?? [],
    egressDenyDomains: pick('egressDenyDomains') ?? [],
    egressAllowCidrs: pick('egressAllowCidrs') ?? [],
    egressRatePerSecond: pick('egressRatePerSecond') ?? 50,
    egressMaxConnections: pick('egressMaxConnections') ?? 256,
    publicUrl: pick('publicUrl'),
    previewDomain: pick('previewDomain'),
    mcpStateless: pick('mcpStateless') ?? false,
    redisUrl: pick('redisUrl'),
    instanceUrl: pick('instanceUrl'),
    jwtSecret: pick('jwtSecret'),
    accessTokenTtlSeconds: pick('accessTokenTtlSeconds') ?? 900,
    refreshTokenTtlDays: pick('refreshTokenTtlDays') ?? 30,
    refreshGraceSeconds: pick('refreshGraceSeconds') ?? 30,
    trustProxy: pick('trustProxy') ?? false,
    oauthRedirectUris: pick('oauthRedirectUris') ?? [],
    githubClientId: pick('githubClientId'),
    githubClientSecret: pick('githubClientSecret'),
    githubUrl: pick('githubUrl') ?? 'https://github.com',
    githubApiUrl: pick('githubApiUrl') ?? 'https://api.github.com',
    githubAllowedUsers: pick('githubAllowedUsers') ?? [],
    frameAncestors: pick('frameAncestors') ?? ['https://chatgpt.com'],
    rateLimitPerMinute: pick('rateLimitPerMinute') ?? 3000,
    authRateLimitPerMinute: pick('authRateLimitPerMinute') ?? 30,
    embeddingsUrl: pick('embeddingsUrl'),
    embeddingsModel: pick('embeddingsModel') ?? 'text-embedding-3-small',
    embeddingsKey: pick('embeddingsKey'),
    embeddingsDimensions: pick('embeddingsDimensions'),
    embeddingsBatch: pick('embeddingsBatch') ?? 64,
    ragMaxFileBytes: pick('ragMaxFileBytes') ?? 1024 * 1024,
    ragMaxFiles: pick('ragMaxFiles') ?? 100_000,
    ragChunkChars: pick('ragChunkChars') ?? 2400,
    ragWatch: pick('ragWatch') ?? false,
  };
  if (config.redisUrl && !config.jwtSecret) {
    throw new ConfigError(
      'DISCO_JWT_SECRET: required with REDIS_URL, so every instance accepts the tokens the others issue',
    );
  }
  const redisProblem = config.redisUrl ? redisUrlProblem(config.redisUrl) : undefined;
  if (redisProblem) throw new ConfigError(`REDIS_URL: ${redisProblem}`);
  if ((config.githubClientId === undefined) !== (config.githubClientSecret === undefined)) {
    throw new ConfigError('GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET: set both or neither');
  }
  // Security: a container's root must never contain the daemon's state (database, signing keys).
  if (home === config.containersDir || home.startsWith(`${config.containersDir}${path.sep}`)) {
    throw new ConfigError('DISCO_CONTAINERS_DIR: must not contain DISCO_HOME (a workspace would hold the daemon keys)');
  }
  if (config.commandPolicy === 'allow-list' && config.commandAllow.length === 0) {
    throw new ConfigError('DISCO_COMMAND_ALLOW: must list at least one program when DISCO_COMMAND_POLICY=allow-list');
  }
  if (config.execTimeoutMs > config.execMaxTimeoutMs) {
    throw new ConfigError('DISCO_EXEC_TIMEOUT_MS: must not exceed DISCO_EXEC_MAX_TIMEOUT_MS');
  }
  return config;
}

/**
 * Security: Redis holds the shared token store and the rate-limit counters; anyone who can talk to it can
 * revoke tokens or flood it. Off loopback it must ask for a password (in the URL: `redis://:pass@host` or
 * `redis://user:pass@host`), so Disco refuses to start without one rather than trust an open Redis.
 */
export function redisUrlProblem(url: string): string | undefined {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (isLoopbackHost(host)) return undefined;
  if (u.password !== '' || u.searchParams.get('password')) return undefined;
  return `Redis at ${host} is not on loopback, so it needs a password: give one in the URL (redis://:PASSWORD@${u.host}, or redis://USER:PASSWORD@${u.host} with an ACL user) and set requirepass/ACLs on the server`;
}

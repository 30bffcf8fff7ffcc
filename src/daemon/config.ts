import path from 'node:path';
import type { z } from 'zod';
import { isLoopbackHost } from '../shared/defaults.js';
import { type Config, intIn, SETTINGS, type SettingKey, type Settings } from './settings.js';
import type { DefaultContext } from './settings-schema.js';

export { type Config, DEFAULT_PORT, SETTINGS, type SettingKey } from './settings.js';
export { isLoopbackHost };

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

  // Every setting: flag, then variable, then its default (computed ones see the settings before them).
  const context: DefaultContext = { railwayPort, resolved: {} };
  for (const key of Object.keys(SETTINGS) as SettingKey[]) {
    const fallback = (SETTINGS[key] as { default?: unknown }).default;
    const value =
      pick(key) ??
      (typeof fallback === 'function' ? fallback(context) : Array.isArray(fallback) ? [...fallback] : fallback);
    context.resolved[key] = value;
  }
  const config = context.resolved as Config;
  const { home } = config;
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
  // Security: the stand-in runs commands in a toy interpreter inside the page; it exists for the tests only.
  if (config.webcontainerStandin && env.NODE_ENV !== 'test') {
    throw new ConfigError('DISCO_WEBCONTAINER_STANDIN: a test-only setting, refused unless NODE_ENV=test');
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

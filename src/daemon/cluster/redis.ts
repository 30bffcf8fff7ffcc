import { Redis } from 'ioredis';
import type { Logger } from '../log.js';

export interface RedisHealth {
  configured: true;
  ok: boolean;
  status: string;
  error?: string;
}

/**
 * The shared Redis connection. It reconnects by itself (backing off to 2 s); while it is down, commands
 * fail fast instead of queueing, so the daemon keeps serving what does not need Redis and `/ready` says why.
 */
export function connectRedis(
  url: string,
  log: Logger,
): { redis: Redis; health: () => RedisHealth; close: () => Promise<void> } {
  let lastError: string | undefined;
  const redis = new Redis(url, {
    keyPrefix: 'disco:',
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 3000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  redis.on('error', (err: Error) => {
    if (err.message !== lastError) log.warn({ err: err.message }, 'redis error');
    lastError = err.message;
  });
  redis.on('ready', () => {
    if (lastError) log.info('redis connected again');
    lastError = undefined;
  });
  return {
    redis,
    health: () => ({
      configured: true,
      ok: redis.status === 'ready',
      status: redis.status,
      ...(redis.status !== 'ready' && lastError ? { error: lastError } : {}),
    }),
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** Waits for the first connection (start-up), bounded. */
export function redisReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error(`Redis did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}

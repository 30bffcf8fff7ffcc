import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { type RedisServer, redisAvailable, startRedis } from '../helpers/redis.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
type Json = any;

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.runIf(redisAvailable())('when Redis goes away', () => {
  let redis: RedisServer;
  let t: TestDaemon;
  beforeAll(async () => {
    redis = await startRedis();
    t = await startTestDaemon({ REDIS_URL: redis.url, DISCO_JWT_SECRET: 'redis-down-secret-0123456789abcdefghij' });
  });
  afterAll(async () => {
    await t?.stop();
    await redis?.stop();
  });

  it('keeps serving what it holds, says why on /ready, and reconnects by itself', async () => {
    const ready = async () => ((await (await fetch(`${t.url}/ready`)).json()) as Json).checks.redis;
    expect(await ready()).toMatchObject({ configured: true, ok: true });
    const c = await t.json('POST', '/api/v1/containers', { name: 'local-one' });
    expect(c.status).toBe(201);

    await redis.stop();
    await until(async () => (await fetch(`${t.url}/ready`)).status === 503);
    expect(await ready()).toMatchObject({ configured: true, ok: false });
    // This instance's container, with the bootstrap token, still works; metrics say Redis is down.
    const w = await t.json('PUT', `/api/v1/containers/${c.body.id}/files/content`, {
      path: 'x.txt',
      content: 'still here',
    });
    expect(w.status).toBe(200);
    const metrics = await (await t.request('GET', '/metrics')).text();
    expect(metrics).toMatch(/disco_redis_up 0/);

    // Redis comes back on the same port: the daemon reconnects without a restart.
    const again = spawn(
      'redis-server',
      ['--port', String(redis.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    try {
      await until(async () => (await fetch(`${t.url}/ready`)).status === 200, 15_000);
      expect(await ready()).toMatchObject({ ok: true });
    } finally {
      again.kill('SIGTERM');
    }
  });
});

import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { checkNode } from '../../src/daemon/doctor/checks.js';
import { pingRedis } from '../../src/daemon/doctor/redis-ping.js';
import { disco } from '../helpers/cli.js';
import { tempDir } from '../helpers/daemon.js';

/** With REDIS_URL the daemon also needs the shared signing secret. */
const SECRET = 'doctor-test-secret-0123456789abcdefghijkl';

/** A loopback server speaking just enough RESP: AUTH (checked) and PING. */
function fakeRedis(password?: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = net.createServer((socket) => {
    let authed = password === undefined;
    socket.on('data', (chunk) => {
      const text = chunk.toString();
      if (text.includes('AUTH')) {
        authed = password !== undefined && text.includes(password);
        socket.write(authed ? '+OK\r\n' : '-WRONGPASS invalid password\r\n');
      }
      if (text.includes('PING')) socket.write(authed ? '+PONG\r\n' : '-NOAUTH Authentication required.\r\n');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      resolve({ url: `redis://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) });
    }),
  );
}

let redis: Awaited<ReturnType<typeof fakeRedis>> | undefined;
afterEach(async () => {
  await redis?.close();
  redis = undefined;
});

const run = async (env: Record<string, string>, args: string[] = ['--json']) => {
  const home = await tempDir('disco-doctor-');
  const r = await disco(['doctor', ...args], { DISCO_HOME: home, ...env });
  return { ...r, json: args.includes('--json') ? JSON.parse(r.stdout) : undefined };
};
const checkOf = (json: { checks: Array<{ name: string }> }, name: string) => json.checks.find((c) => c.name === name);

describe('disco doctor', () => {
  it('checks node, sqlite-vec, bubblewrap, container limits, the spawner, git, chromium, keychain, redis, disk and the public URL', async () => {
    const r = await run({}, ['--json', '--offline']);
    expect(r.json.checks.map((c: { name: string }) => c.name)).toEqual([
      'node',
      'sqlite-vec',
      'bubblewrap',
      'container-limits',
      'spawner',
      'git',
      'chromium',
      'keychain',
      'redis',
      'disk',
      'public-url',
    ]);
    expect(checkOf(r.json, 'sqlite-vec')).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('sqlite-vec'),
    });
    expect(checkOf(r.json, 'git')).toMatchObject({ status: 'ok' });
    // `npm run build` compiled it, and it passes the same self-check the supervisor runs.
    expect(checkOf(r.json, 'spawner')).toMatchObject({ status: 'ok', detail: expect.stringContaining('native') });
    expect(checkOf(r.json, 'disk')).toMatchObject({
      detail: expect.stringMatching(/free for workspaces at .*reserve 64 MiB/),
    });
    expect(checkOf(r.json, 'redis')).toMatchObject({ status: 'ok', detail: expect.stringContaining('not configured') });
    expect(checkOf(r.json, 'public-url')).toMatchObject({
      status: 'warn',
      fix: expect.stringContaining('DISCO_PUBLIC_URL'),
    });
    for (const c of r.json.checks) if (c.status !== 'ok') expect(c.fix, c.name).toBeTruthy();
    expect(r.code).toBe(r.json.ok ? 0 : 1);
  });

  it('prints a table with a fix for each problem and exits 1 when a check fails', async () => {
    const r = await run(
      { REDIS_URL: 'redis://127.0.0.1:1', DISCO_JWT_SECRET: SECRET, DISCO_PUBLIC_URL: 'http://disco.example.com' },
      [],
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^CHECK\s+STATUS\s+DETAIL\s+FIX/);
    expect(r.stdout).toMatch(
      /redis\s+FAIL\s+redis:\/\/127\.0\.0\.1:1: connect ECONNREFUSED.*start Redis or fix REDIS_URL/,
    );
    expect(r.stdout).toMatch(/public-url\s+FAIL\s+http:\/\/disco\.example\.com is not HTTPS/);
    expect(r.stdout).toMatch(/problem\(s\)/);
  });

  it('pings a Redis given by REDIS_URL, with its password, and hides the password', async () => {
    redis = await fakeRedis('s3cret');
    const url = redis.url.replace('redis://', 'redis://:s3cret@');
    const r = await run({ REDIS_URL: url, DISCO_JWT_SECRET: SECRET }, ['--json', '--offline']);
    expect(checkOf(r.json, 'redis')).toMatchObject({ status: 'ok', detail: expect.stringContaining('PING') });
    expect(r.stdout).not.toContain('s3cret');
    await expect(pingRedis(redis.url.replace('redis://', 'redis://:wrong@'))).rejects.toThrow(/WRONGPASS/);
    await expect(pingRedis(redis.url)).rejects.toThrow(/NOAUTH/);
    await expect(pingRedis('http://127.0.0.1:1')).rejects.toThrow(/unsupported scheme/);
  });

  it('reports a bad configuration as a failed check rather than a crash', async () => {
    const r = await run({ DISCO_PORT: 'abc' });
    expect(r.code).toBe(1);
    expect(r.json.checks).toEqual([expect.objectContaining({ name: 'config', status: 'fail' })]);
  });

  it('fails on a Node older than 20', () => {
    expect(checkNode('v18.19.0')).toMatchObject({ status: 'fail', fix: expect.stringContaining('Node 20') });
    expect(checkNode('v20.20.2').status).toBe('ok');
  });
});

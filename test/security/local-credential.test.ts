import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDaemonRecord } from '../../src/shared/daemon-record.js';
import { DISCO_BIN } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon, tempDir } from '../helpers/daemon.js';
import { childEnv } from '../helpers/env.js';
import { mcpPostHeaders } from '../helpers/mcp.js';
import { waitUntil } from '../helpers/procs.js';
import { type RedisServer, redisAvailable, startRedis } from '../helpers/redis.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

/**
 * The daemon's per-run local credential (what `disco mcp` relays with): where it is written, who can read
 * it, where it is accepted, and that nothing else passes for it.
 */
const hasBwrap = requireSystem('bubblewrap', hasCommand('bwrap', ['--version']));

interface RecordFile {
  file: string;
  pid: number;
  url: string;
  credential: string;
}

async function recordOf(home: string): Promise<RecordFile> {
  const dir = path.join(home, 'run');
  const names = (await readdir(dir)).filter((n) => /^daemon-\d+-[0-9a-f]{8}\.json$/.test(n));
  expect(names).toHaveLength(1);
  const file = path.join(dir, names[0] as string);
  return { file, ...(JSON.parse(await readFile(file, 'utf8')) as Omit<RecordFile, 'file'>) };
}

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'attacker', version: '1' } },
};
const post = (url: string, token: string, body: unknown = INITIALIZE, headers: Record<string, string> = {}) =>
  fetch(`${url}/mcp`, {
    method: 'POST',
    headers: { ...mcpPostHeaders(token), ...headers },
    body: JSON.stringify(body),
  });

/** A pid no process has any more (a child that has exited and been reaped). */
const deadPid = () =>
  new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['-e', '']);
    child.once('exit', () => resolve(child.pid as number));
  });

describe('the local credential', () => {
  let t: TestDaemon;
  let record: RecordFile;
  beforeAll(async () => {
    t = await startTestDaemon(hasBwrap ? { DISCO_SANDBOX: 'bwrap' } : {});
    record = await recordOf(t.home);
  });
  afterAll(() => t?.stop());

  it('is written 0600 in a 0700 directory, with the daemon’s pid and URL', async () => {
    expect((await stat(record.file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(record.file))).mode & 0o777).toBe(0o700);
    expect(record.pid).toBe(process.pid);
    expect(record.url).toBe(t.url);
    expect(record.credential).toMatch(/^disco_local_[A-Za-z0-9_-]{43}$/);
  });

  it('is the local admin on /mcp, and nothing on REST', async () => {
    expect((await post(t.url, record.credential)).status).toBe(200);
    const rest = await fetch(`${t.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${record.credential}` } });
    expect(rest.status).toBe(401);
  });

  it('refuses a wrong secret, a truncated one and another daemon’s (401)', async () => {
    const other = await startTestDaemon();
    try {
      const others = (await recordOf(other.home)).credential;
      expect((await post(other.url, others)).status).toBe(200);
      for (const wrong of [
        others,
        `${record.credential.slice(0, -1)}A`,
        'disco_local_',
        record.credential.slice(0, 20),
      ]) {
        if (wrong === record.credential) continue;
        const res = await post(t.url, wrong);
        expect(res.status, wrong).toBe(401);
        expect(res.headers.get('www-authenticate')).toContain('invalid_token');
      }
    } finally {
      await other.stop();
    }
  });

  it.runIf(hasBwrap)('cannot be read by a command inside a container', async () => {
    expect((await t.json('POST', '/api/v1/containers', { name: 'snoop' })).status).toBe(201);
    const run = async (script: string) => {
      const r = await t.json('POST', '/api/v1/terminal/execute', { container: 'snoop', command: script, shell: true });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body as { exitCode: number; stdout: string; stderr: string };
    };
    const direct = await run(`cat '${record.file}'`);
    expect(direct.exitCode).not.toBe(0);
    const home = await run(`ls -la '${t.home}' '${path.dirname(record.file)}'; cat '${t.home}'/run/* 2>&1`);
    expect(home.stdout + home.stderr).not.toContain('daemon-');
    const anywhere = await run(
      "cat /proc/*/environ /proc/*/cmdline 2>/dev/null | tr '\\0' '\\n' | grep -c 'disco_loca[l]_'; env | grep -c 'disco_loca[l]_'",
    );
    expect(anywhere.stdout.trim().split('\n')).toEqual(['0', '0']);
    for (const r of [direct, home, anywhere]) expect(r.stdout + r.stderr).not.toContain(record.credential);
  });

  it('is removed when the daemon closes', async () => {
    const d = await startTestDaemon();
    const { file } = await recordOf(d.home);
    await d.daemon.close();
    await expect(stat(file)).rejects.toThrow();
    await rm(d.home, { recursive: true, force: true });
  });
});

describe('a stale record', () => {
  it('(its pid is gone) is not used by disco mcp, even when its URL and credential still answer, and is removed', async () => {
    const live = await startTestDaemon();
    const home = await tempDir('disco-stale-record-');
    try {
      const good = await recordOf(live.home);
      await mkdir(path.join(home, 'run'), { recursive: true, mode: 0o700 });
      const pid = await deadPid();
      const file = await writeDaemonRecord(home, {
        pid,
        url: good.url,
        credential: good.credential,
        startedAt: new Date().toISOString(),
      });
      const client = new Client({ name: 'stale-record-test', version: '1.0.0' });
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [DISCO_BIN, 'mcp'],
        env: childEnv({ DISCO_HOME: home }),
        stderr: 'pipe',
      });
      let stderr = '';
      transport.stderr?.on('data', (c: Buffer) => {
        stderr += c.toString();
      });
      await client.connect(transport);
      try {
        const listed = await client.callTool({ name: 'container_list', arguments: {} });
        expect(listed.isError ?? false).toBe(false);
        expect(await waitUntil(() => stderr.includes('served in-process'))).toBe(true);
        expect(stderr).not.toContain('relaying');
        await expect(stat(file)).rejects.toThrow();
      } finally {
        await client.close();
      }
    } finally {
      await live.stop();
      await rm(home, { recursive: true, force: true });
    }
  }, 30_000);
});

describe.runIf(redisAvailable())('the local credential in a cluster', () => {
  let redis: RedisServer;
  let a: TestDaemon;
  let b: TestDaemon;
  beforeAll(async () => {
    redis = await startRedis();
    const env = { REDIS_URL: redis.url, DISCO_JWT_SECRET: 'local-credential-cluster-0123456789abcdef' };
    a = await startTestDaemon(env);
    b = await startTestDaemon({ ...env, DISCO_ADMIN_TOKEN: a.token });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await redis?.stop();
  });

  it('is accepted by its own instance only, and a request with it is never routed to another', async () => {
    const credA = (await recordOf(a.home)).credential;
    expect((await post(b.url, credA)).status).toBe(401);
    // A session B holds (opened with the shared admin token): A would route it to B for that token, never
    // for A's local credential (which would then reach B).
    const opened = await post(b.url, a.token);
    expect(opened.status).toBe(200);
    const session = opened.headers.get('mcp-session-id') as string;
    expect(session).toBeTruthy();
    const list = { jsonrpc: '2.0', id: 2, method: 'tools/list' };
    const routed = await post(a.url, a.token, list, {
      'mcp-session-id': session,
      'mcp-protocol-version': '2025-06-18',
    });
    expect(routed.status).toBe(200);
    const local = await post(a.url, credA, list, { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' });
    expect(local.status).toBe(404);
  });
});

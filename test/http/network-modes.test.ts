import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainersRepo } from '../../src/daemon/db/containers-repo.js';
import { MIGRATIONS } from '../../src/daemon/db/migrations.js';
import { openDatabase } from '../../src/daemon/db/open.js';
import { startTestDaemon, type TestDaemon, tempDir } from '../helpers/daemon.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

const hasBwrap = requireSystem('bubblewrap', hasCommand('bwrap', ['--version']));

// biome-ignore lint/suspicious/noExplicitAny: tests assert on arbitrary JSON shapes
type Json = any;

/** A user's access token (password sign-in), or a narrower token of the admin. */
async function signIn(t: TestDaemon, name: string): Promise<string> {
  const password = 'correct horse battery staple';
  expect((await t.json('POST', '/api/v1/users', { name, password })).status).toBe(201);
  const res = await t.request('POST', '/api/v1/auth/login', { auth: false, body: { username: name, password } });
  return ((await res.json()) as Json).accessToken;
}

const as = async (t: TestDaemon, token: string, method: string, url: string, body?: unknown) => {
  const res = await fetch(`${t.url}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Json };
};

describe('network modes (host allowed by the operator)', () => {
  let t: TestDaemon;
  const run = async (container: string, command: string) =>
    (await t.json('POST', '/api/v1/terminal/execute', { container, command, shell: true, timeoutMs: 20_000 })).body;
  /** Connects to the daemon's own port: only the host's network namespace reaches it. */
  const probe = () =>
    `node -e "require('net').connect(${t.daemon.port},'127.0.0.1').on('connect',()=>{console.log('connected');process.exit(0)}).on('error',e=>{console.log(e.code);process.exit(0)})"`;

  beforeAll(async () => {
    t = await startTestDaemon({ DISCO_ALLOW_HOST_NETWORK: 'true' });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('defaults to egress, takes modes and the old booleans, and returns the mode', async () => {
    const created = await t.json('POST', '/api/v1/containers', { name: 'net' });
    expect(created.status).toBe(201);
    expect(created.body.network).toBe('egress');
    expect(created.body.warning).toBeUndefined();
    expect((await t.json('PATCH', '/api/v1/containers/net', { network: false })).body.network).toBe('off');
    expect((await t.json('PATCH', '/api/v1/containers/net', { network: true })).body.network).toBe('egress');
    expect((await t.json('PATCH', '/api/v1/containers/net', { network: 'off' })).body.network).toBe('off');
    expect((await t.json('POST', '/api/v1/containers', { name: 'b0', network: false })).body.network).toBe('off');
    expect((await t.json('POST', '/api/v1/containers', { name: 'b1', network: true })).body.network).toBe('egress');
    expect((await t.json('GET', '/api/v1/containers/net')).body.network).toBe('off');
  });

  it('refuses unknown modes without changing anything', async () => {
    for (const network of ['on', 'no', 1, null]) {
      const bad = await t.json('PATCH', '/api/v1/containers/net', { network });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('validation_failed');
    }
    expect((await t.json('POST', '/api/v1/containers', { name: 'x', network: 'bridge' })).status).toBe(400);
    expect((await t.json('GET', '/api/v1/containers/net')).body.network).toBe('off');
  });

  it('gives host mode to an admin with a warning, in the result and in /health', async () => {
    const host = await t.json('PATCH', '/api/v1/containers/net', { network: 'host' });
    expect(host.status).toBe(200);
    expect(host.body.network).toBe('host');
    expect(host.body.warning).toMatch(/host's network namespace/);
    expect(
      (await t.json('GET', '/api/v1/containers')).body.containers.find((c: Json) => c.name === 'net').warning,
    ).toMatch(/loopback/);
    const health = (await t.json('GET', '/health')).body.checks.network;
    expect(health).toMatchObject({ default: 'egress', hostAllowed: true, modes: ['off', 'egress', 'host'] });
    expect(health.warning).toMatch(/DISCO_ALLOW_HOST_NETWORK/);
  });

  it.runIf(hasBwrap)('reaches the host loopback only in host mode', async () => {
    await t.json('PATCH', '/api/v1/containers/net', { network: 'host' });
    expect((await run('net', probe())).stdout.trim()).toBe('connected');
    await t.json('PATCH', '/api/v1/containers/net', { network: 'egress' });
    expect((await run('net', probe())).stdout.trim()).toBe('ECONNREFUSED');
    await t.json('PATCH', '/api/v1/containers/net', { network: 'off' });
    expect((await run('net', probe())).stdout.trim()).toBe('ECONNREFUSED');
    expect((await run('net', 'ls /sys/class/net 2>/dev/null; cat /proc/net/dev')).stdout).not.toMatch(/eth|ens|enp/);
  });

  it('refuses host mode to a user who is not an admin, and to an admin token without the admin scope', async () => {
    const bob = await signIn(t, 'bob');
    const create = await as(t, bob, 'POST', '/api/v1/containers', { name: 'mine', network: 'host' });
    expect(create.status).toBe(403);
    expect(create.body.error.code).toBe('forbidden');
    expect((await as(t, bob, 'GET', '/api/v1/containers', undefined)).body.containers).toEqual([]);
    expect((await as(t, bob, 'POST', '/api/v1/containers', { name: 'mine' })).body.network).toBe('egress');
    const update = await as(t, bob, 'PATCH', '/api/v1/containers/mine', { network: 'host' });
    expect(update.status).toBe(403);
    expect((await as(t, bob, 'GET', '/api/v1/containers/mine', undefined)).body.network).toBe('egress');

    const narrow = await t.json('POST', '/api/v1/tokens', { name: 'narrow', scopes: ['containers'] });
    expect(narrow.status).toBe(201);
    const r = await as(t, narrow.body.token, 'POST', '/api/v1/containers', { name: 'narrow', network: 'host' });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('forbidden');
  });
});

describe('host mode where the operator did not allow it', () => {
  it('is refused even to an admin, with an error naming the setting', async () => {
    const t = await startTestDaemon();
    try {
      const r = await t.json('POST', '/api/v1/containers', { name: 'h', network: 'host' });
      expect(r.status).toBe(403);
      expect(r.body.error).toMatchObject({ code: 'forbidden', details: { setting: 'DISCO_ALLOW_HOST_NETWORK' } });
      expect(r.body.error.message).toMatch(/DISCO_ALLOW_HOST_NETWORK/);
      expect((await t.json('GET', '/api/v1/containers')).body.containers).toEqual([]);
      await t.json('POST', '/api/v1/containers', { name: 'h' });
      expect((await t.json('PATCH', '/api/v1/containers/h', { network: 'host' })).status).toBe(403);
      expect((await t.json('GET', '/health')).body.checks.network).toMatchObject({ hostAllowed: false });
      expect((await t.json('GET', '/health')).body.checks.network.warning).toBeUndefined();
    } finally {
      await t.stop();
    }
  });
});

describe('a database from before network modes', () => {
  it('migrates on to egress and off to off, and a daemon serves them', async () => {
    const home = await tempDir();
    const db = openDatabase(
      path.join(home, 'disco.db'),
      MIGRATIONS.filter((m) => m.version <= 7),
    );
    db.prepare("INSERT INTO users (id, name, is_admin, created_at) VALUES ('admin', 'admin', 1, 1)").run();
    const insert = db.prepare(
      `INSERT INTO containers (id, name, owner_id, runtime, template, status, created_at, last_used_at, network, pinned)
       VALUES (?, ?, 'admin', 'local', 'blank', 'ready', 1, 1, ?, 0)`,
    );
    insert.run('ctr_oldon', 'old-on', 1);
    insert.run('ctr_oldoff', 'old-off', 0);
    db.close();
    const migrated = openDatabase(path.join(home, 'disco.db'));
    const repo = new ContainersRepo(migrated);
    expect(repo.get('ctr_oldon')?.network).toBe('egress');
    expect(repo.get('ctr_oldoff')?.network).toBe('off');
    migrated.close();

    const t = await startTestDaemon({ DISCO_HOME: home });
    try {
      const list = (await t.json('GET', '/api/v1/containers')).body.containers as Json[];
      const modes = Object.fromEntries(list.map((c) => [c.name, c.network]));
      expect(modes).toMatchObject({ 'old-on': 'egress', 'old-off': 'off' });
    } finally {
      await t.stop();
      await rm(home, { recursive: true, force: true });
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TerminalError } from '../../src/cli/terminal-client.js';
import { loadConfig } from '../../src/daemon/config.js';
import { runDoctor } from '../../src/daemon/doctor/checks.js';
import { callWithToken, startTestDaemon, type TestDaemon, tempDir } from '../helpers/daemon.js';
import { TerminalProbe } from '../helpers/terminal.js';

/**
 * Item 6 of the security review: where bubblewrap cannot run, commands run beside the daemon's keys.
 * Then only admins may run programs unless the operator says DISCO_SANDBOX=none out loud. bwrap is
 * made unavailable with DISCO_BWRAP pointing at a program that does not exist (what a host without
 * bubblewrap, or one forbidding user namespaces, looks like to the probe).
 */
// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
type Json = any;
const PASSWORD = 'no-sandbox-password';
const NO_BWRAP = '/nonexistent/bwrap';

async function signIn(t: TestDaemon, name: string): Promise<string> {
  expect((await t.json('POST', '/api/v1/users', { name, password: PASSWORD })).status).toBe(201);
  const login = await t.request('POST', '/api/v1/auth/login', {
    auth: false,
    body: { username: name, password: PASSWORD },
  });
  return ((await login.json()) as Json).accessToken;
}

function as(t: TestDaemon, token: string) {
  return (method: string, path: string, body?: unknown) => callWithToken(t.url, method, path, token, body);
}

describe('DISCO_SANDBOX=auto where bubblewrap cannot run', () => {
  let t: TestDaemon;
  let user: ReturnType<typeof as>;
  let userToken: string;

  beforeAll(async () => {
    t = await startTestDaemon({ DISCO_SANDBOX: 'auto', DISCO_BWRAP: NO_BWRAP });
    userToken = await signIn(t, 'mallory');
    user = as(t, userToken);
    expect((await user('POST', '/api/v1/containers', { name: 'work' })).status).toBe(201);
    expect((await t.json('POST', '/api/v1/containers', { name: 'admins' })).status).toBe(201);
  });
  afterAll(() => t?.stop());

  it("refuses a non-admin's command with sandbox_required, saying why, and runs nothing", async () => {
    const r = await user('POST', '/api/v1/terminal/execute', {
      container: 'work',
      command: 'touch ran.txt',
      shell: true,
    });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('sandbox_required');
    expect(r.body.error.message).toMatch(/unsandboxed/);
    expect(r.body.error.message).toMatch(/DISCO_SANDBOX=none/);
    expect(r.body.error.details).toMatchObject({ sandbox: 'none' });
    const listing = await user('GET', '/api/v1/containers/work/files?path=.');
    expect(JSON.stringify(listing.body)).not.toContain('ran.txt');
  });

  it("refuses a non-admin's terminal and git (git runs programs a repository configures)", async () => {
    const probe = await TerminalProbe.connect(t.url, userToken);
    try {
      const err = await probe.client.open({ container: 'work' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TerminalError);
      expect((err as TerminalError).code).toBe('sandbox_required');
    } finally {
      probe.close();
    }
    const status = await user('GET', '/api/v1/containers/work/git/status');
    expect(status.status).toBe(403);
    expect(status.body.error.code).toBe('sandbox_required');
  });

  it("refuses an admin's token without the admin scope: unsandboxed, a command reads the daemon's keys", async () => {
    const pat = await t.json('POST', '/api/v1/tokens', { name: 'exec-only', scopes: ['containers', 'exec', 'git'] });
    const narrow = as(t, pat.body.token);
    const r = await narrow('POST', '/api/v1/terminal/execute', {
      container: 'admins',
      command: ['cat', `${t.home}/keys/jwt-signing.json`],
    });
    expect(String(r.body.stdout ?? '')).not.toMatch(/"d"\s*:/); // the private key
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('sandbox_required');
    expect((await narrow('GET', '/api/v1/containers/admins/git/status')).body.error?.code).toBe('sandbox_required');
  });

  it("runs an admin's command", async () => {
    const r = await t.json('POST', '/api/v1/terminal/execute', { container: 'admins', command: ['echo', 'admin ok'] });
    expect(r.status).toBe(200);
    expect(r.body.stdout).toBe('admin ok\n');
  });

  it('says so in /health, /ready and /capabilities', async () => {
    const health = (await t.json('GET', '/health')).body.checks.sandbox;
    expect(health).toMatchObject({ mode: 'none', commands: 'admins' });
    expect(health.warning).toMatch(/not sandboxed/);
    const ready = (await t.json('GET', '/ready')).body.checks.sandbox;
    expect(ready).toMatchObject({ mode: 'none', commands: 'admins' });
    const caps = (await t.json('GET', '/capabilities')).body.sandbox;
    expect(caps).toMatchObject({ mode: 'none', commands: 'admins' });
    expect(caps.reason).toMatch(/bwrap/);
  });

  it('says so in disco doctor', async () => {
    const home = await tempDir();
    const config = loadConfig({ DISCO_HOME: home, DISCO_SANDBOX: 'auto', DISCO_BWRAP: NO_BWRAP });
    const checks = await runDoctor({ config, checkPublicUrl: false });
    const sandbox = checks.find((c) => c.name === 'bubblewrap');
    expect(sandbox?.status).toBe('warn');
    expect(`${sandbox?.detail} ${sandbox?.fix}`).toMatch(/only admins/);
  });
});

describe('DISCO_SANDBOX=none, set on purpose', () => {
  let t: TestDaemon;

  beforeAll(async () => {
    t = await startTestDaemon({ DISCO_SANDBOX: 'none', DISCO_BWRAP: NO_BWRAP });
  });
  afterAll(() => t?.stop());

  it('lets non-admins run commands, and warns everywhere', async () => {
    const user = as(t, await signIn(t, 'trusted'));
    expect((await user('POST', '/api/v1/containers', { name: 'w' })).status).toBe(201);
    const r = await user('POST', '/api/v1/terminal/execute', { container: 'w', command: ['echo', 'allowed'] });
    expect(r.status).toBe(200);
    expect(r.body.stdout).toBe('allowed\n');
    const health = (await t.json('GET', '/health')).body.checks.sandbox;
    expect(health).toMatchObject({ mode: 'none', commands: 'everyone' });
    expect(health.warning).toMatch(/not sandboxed/);
    expect((await t.json('GET', '/capabilities')).body.sandbox).toMatchObject({ mode: 'none', commands: 'everyone' });
  });
});

import { spawn } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISCO_BIN, disco } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon, tempDir } from '../helpers/daemon.js';
import { childEnv } from '../helpers/env.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

const PASSWORD = 'a long enough password';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
type Json = any;

describe('disco login / whoami / logout', () => {
  let t: TestDaemon;
  beforeAll(async () => {
    t = await startTestDaemon();
    expect((await t.json('POST', '/api/v1/users', { name: 'bob', password: PASSWORD })).status).toBe(201);
  });
  afterAll(() => t.stop());

  /** A client machine: its own $DISCO_HOME, no admin token, no keychain. */
  const client = async () => {
    const home = await tempDir('disco-client-');
    return { home, env: { DISCO_HOME: home, DISCO_URL: t.url, DISCO_KEYCHAIN: 'off' } };
  };

  it('logs in to a local daemon with its admin token, keeps a 0600 file, and logs out', async () => {
    const c = await client();
    const login = await disco(['login'], { ...c.env, DISCO_ADMIN_TOKEN: t.token });
    expect(login.stderr).toContain('notice: no OS keychain reachable');
    expect(login.stdout).toContain(`Logged in to ${t.url} as admin (admin)`);
    const creds = path.join(c.home, 'credentials.json');
    expect((await stat(creds)).mode & 0o777).toBe(0o600);
    expect(await readFile(creds, 'utf8')).toContain('disco_rt_');
    // The admin token itself is not kept: only the session's tokens.
    expect(await readFile(creds, 'utf8')).not.toContain(t.token);

    const who = await disco(['whoami', '--json'], c.env);
    expect(who.code).toBe(0);
    expect(JSON.parse(who.stdout)).toMatchObject({
      user: { name: 'admin', isAdmin: true },
      via: 'session',
      credentials: 'file',
    });
    expect((await disco(['containers', 'create', 'from-cli'], c.env)).code).toBe(0);

    const out = await disco(['logout'], c.env);
    expect(out.stdout).toContain(`Logged out of ${t.url}`);
    const after = await disco(['whoami'], c.env);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('[unauthorized]');
  });

  it('logs in with a password and refreshes an expired access token by itself', async () => {
    const c = await client();
    const login = await disco(['login', t.url, '--user', 'bob', '--password-stdin', '--json'], c.env, `${PASSWORD}\n`);
    expect(login.code).toBe(0);
    expect(JSON.parse(login.stdout)).toMatchObject({ url: t.url, user: { name: 'bob', isAdmin: false } });
    const credsFile = path.join(c.home, 'credentials.json');
    const before = JSON.parse(await readFile(credsFile, 'utf8'))[t.url] as Json;

    // Age the stored access token: the next command must rotate the refresh token and still work.
    const loginsFile = path.join(c.home, 'logins.json');
    const logins = JSON.parse(await readFile(loginsFile, 'utf8')) as Json;
    logins.logins[t.url].accessExpiresAt = Date.now() - 1000;
    await writeFile(loginsFile, JSON.stringify(logins));
    const who = await disco(['whoami', '--json'], c.env);
    expect(JSON.parse(who.stdout).user.name).toBe('bob');
    const after = JSON.parse(await readFile(credsFile, 'utf8'))[t.url] as Json;
    expect(after.refreshToken).not.toBe(before.refreshToken);
    // The spent refresh token is dead.
    const reuse = await t.request('POST', '/api/v1/auth/refresh', {
      auth: false,
      body: { refreshToken: before.refreshToken },
    });
    expect(reuse.status).toBe(401);
  });

  it('refuses a wrong password with a clear error', async () => {
    const c = await client();
    const login = await disco(['login', '--user', 'bob', '--password-stdin'], c.env, 'wrong password here\n');
    expect(login.code).toBe(1);
    expect(login.stderr).toContain('invalid user name or password [unauthorized]');
  });

  it('signs in through the browser (loopback redirect with PKCE)', async () => {
    const c = await client();
    const child = spawn(process.execPath, [DISCO_BIN, 'login', t.url, '--web', '--json'], {
      env: childEnv(c.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    const link = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /(http:\/\/\S+\/oauth\/authorize\?\S+)/.exec(stderr);
        if (m?.[1]) resolve(m[1]);
      });
      child.once('exit', () => reject(new Error(`disco login exited: ${stderr}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

    // Act as the person in the browser: the page, the password, then the redirect to the CLI.
    const html = await (await fetch(link)).text();
    expect(html).toContain('Allow Disco CLI to use Disco?');
    const request = /name="request" value="([^"]+)"/.exec(html)?.[1] as string;
    const approved = await fetch(`${t.url}/oauth/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ request, username: 'bob', password: PASSWORD, action: 'approve' }).toString(),
      redirect: 'manual',
    });
    expect(approved.status).toBe(303);
    const callback = await fetch(approved.headers.get('location') as string);
    expect(await callback.text()).toContain('Signed in');
    expect(await exited).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ url: t.url, user: { name: 'bob' } });

    const who = await disco(['whoami', '--json'], c.env);
    expect(JSON.parse(who.stdout)).toMatchObject({ user: { name: 'bob' }, via: 'oauth', clientId: 'disco-cli' });
    expect(JSON.parse(who.stdout).scopes).not.toContain('admin');
  });
});

const keyring = hasCommand('dbus-run-session', ['--version']) && hasCommand('gnome-keyring-daemon', ['--version']);

describe.runIf(requireSystem('dbus-run-session and gnome-keyring-daemon (OS keychain)', keyring))(
  'disco login with a real OS keychain',
  () => {
    let t: TestDaemon;
    beforeAll(async () => {
      t = await startTestDaemon();
    });
    afterAll(() => t.stop());

    it('keeps the session in the keychain (Secret Service), not in a file', async () => {
      const home = await tempDir('disco-keychain-');
      const script = [
        'echo unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1',
        `"${process.execPath}" "${DISCO_BIN}" login --json`,
        `"${process.execPath}" "${DISCO_BIN}" whoami --json`,
      ].join(' && ');
      const res = await disco([], {}, undefined, {
        command: 'dbus-run-session',
        args: ['--', 'sh', '-c', script],
        // A fresh HOME: gnome-keyring creates (and unlocks) a new login keyring under it.
        env: { HOME: home, DISCO_HOME: home, DISCO_URL: t.url, DISCO_ADMIN_TOKEN: t.token },
      });
      expect(res.code, res.stderr).toBe(0);
      const [login, who] = res.stdout
        .trim()
        .split(/\n(?=\{)/)
        .map((s) => JSON.parse(s) as Json);
      expect(login).toMatchObject({ credentials: 'keychain' });
      expect(who).toMatchObject({ user: { name: 'admin' }, via: 'session', credentials: 'keychain' });
      expect(res.stderr).not.toContain('notice:');
      await expect(stat(path.join(home, 'credentials.json'))).rejects.toThrow();
      expect(await readFile(path.join(home, 'logins.json'), 'utf8')).not.toContain('disco_rt_');
    });
  },
);

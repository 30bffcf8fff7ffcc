import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISCO_BIN, disco } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon, tempDir } from '../helpers/daemon.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

const PASSWORD = 'a long enough password';

function keytarInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('keytar');
    return true;
  } catch {
    return false;
  }
}

describe.runIf(requireSystem('keytar (optional keychain module)', keytarInstalled()))(
  'disco doctor and the keychain',
  () => {
    it('says the keychain is unusable when `disco login` cannot reach it (no D-Bus session)', async () => {
      const home = await tempDir('disco-doctor-kc-');
      // childEnv passes no DBUS_SESSION_BUS_ADDRESS: keytar loads, but no secret service answers.
      const r = await disco(['doctor', '--json', '--offline'], { DISCO_HOME: home });
      const check = JSON.parse(r.stdout).checks.find((c: { name: string }) => c.name === 'keychain');
      expect(check.status).toBe('warn');
      expect(check.detail).toMatch(/cannot use the keychain .*0600 file/);
      // …which is what login does in the same environment.
      const t = await startTestDaemon();
      try {
        const login = await disco(['login'], { DISCO_HOME: home, DISCO_URL: t.url, DISCO_ADMIN_TOKEN: t.token });
        expect(login.stderr).toContain('no OS keychain reachable');
      } finally {
        await t.stop();
      }
    });

    const keyring = hasCommand('dbus-run-session', ['--version']) && hasCommand('gnome-keyring-daemon', ['--version']);
    it.runIf(requireSystem('dbus-run-session and gnome-keyring-daemon', keyring))(
      'says it is fine when a secret service answers',
      async () => {
        const home = await tempDir('disco-doctor-kc-');
        const script = [
          'echo unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1',
          `"${process.execPath}" "${DISCO_BIN}" doctor --json --offline`,
        ].join(' && ');
        const r = await disco([], {}, undefined, {
          command: 'dbus-run-session',
          args: ['--', 'sh', '-c', `${script}; true`],
          env: { HOME: home, DISCO_HOME: home },
        });
        const check = JSON.parse(r.stdout).checks.find((c: { name: string }) => c.name === 'keychain');
        expect(check.status, r.stderr).toBe('ok');
      },
    );
  },
);

describe('the sign-in rate limit counts sign-ins, not signed-in calls', () => {
  let t: TestDaemon;
  beforeAll(async () => {
    t = await startTestDaemon({ DISCO_AUTH_RATE_LIMIT_PER_MINUTE: '3' });
    expect((await t.json('POST', '/api/v1/users', { name: 'bob', password: PASSWORD })).status).toBe(201);
  });
  afterAll(() => t.stop());

  it('lets `disco whoami` with a valid login through after failed sign-ins from the same address', async () => {
    const home = await tempDir('disco-client-');
    const env = { DISCO_HOME: home, DISCO_URL: t.url, DISCO_KEYCHAIN: 'off' };
    const login = await disco(['login', '--user', 'bob', '--password-stdin'], env, `${PASSWORD}\n`);
    expect(login.code, login.stderr).toBe(0);

    // Someone at the same address guesses passwords until the sign-in budget is spent.
    let refused = '';
    for (let i = 0; i < 5 && !refused; i++) {
      const bad = await disco(
        ['login', '--user', 'bob', '--password-stdin'],
        { ...env, DISCO_HOME: await tempDir() },
        'wrong guess!\n',
      );
      expect(bad.code).toBe(1);
      if (bad.stderr.includes('rate_limited')) refused = bad.stderr;
    }
    expect(refused).toMatch(/too many sign-in attempts/);

    const who = await disco(['whoami', '--json'], env);
    expect(who.code, who.stderr).toBe(0);
    expect(JSON.parse(who.stdout).user.name).toBe('bob');
    // A bearer token from the environment too.
    const admin = await disco(['whoami', '--json'], {
      DISCO_HOME: await tempDir(),
      DISCO_URL: t.url,
      DISCO_TOKEN: t.token,
    });
    expect(admin.code, admin.stderr).toBe(0);

    // An expired access token is renewed with the refresh token: not a guess, not a sign-in.
    const loginsFile = path.join(home, 'logins.json');
    const logins = JSON.parse(await readFile(loginsFile, 'utf8'));
    logins.logins[t.url].accessExpiresAt = Date.now() - 1000;
    await writeFile(loginsFile, JSON.stringify(logins));
    const renewed = await disco(['whoami', '--json'], env);
    expect(renewed.code, renewed.stderr).toBe(0);
    expect(JSON.parse(renewed.stdout).user.name).toBe('bob');

    // Password guesses stay refused.
    const guess = await disco(
      ['login', '--user', 'bob', '--password-stdin'],
      { ...env, DISCO_HOME: await tempDir() },
      `${PASSWORD}\n`,
    );
    expect(guess.stderr).toMatch(/too many sign-in attempts/);
  });
});

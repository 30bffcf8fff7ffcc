import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CREDENTIALS_FILE, LOGINS_FILE, loginIndex, openLoginStore } from '../../src/cli/login-store.js';
import type { StoredLogin } from '../../src/cli/session.js';
import { tempDir } from '../helpers/daemon.js';

const login = (url: string, name: string): StoredLogin => ({
  url,
  user: { id: `u-${name}`, name, isAdmin: false },
  scopes: ['containers', 'files:read'],
  kind: 'session',
  refreshToken: `disco_rt_${name}_refresh`,
  accessToken: `access.${name}.jwt`,
  accessExpiresAt: 1_900_000_000_000,
});

const mode = async (file: string) => (await stat(file)).mode & 0o777;

describe('login store, file backend (no keychain)', () => {
  it('says once, in one line, that secrets go to a 0600 file', async () => {
    const home = await tempDir('login-store-');
    const store = await openLoginStore(home, { keychain: false });
    expect(store.backend).toBe('file');
    expect(store.notice).toBe(
      `notice: no OS keychain reachable (DISCO_KEYCHAIN=off); credentials are kept in ${path.join(home, CREDENTIALS_FILE)} (mode 0600)`,
    );
    expect(store.notice).not.toContain('\n');
  });

  it('keeps several daemons apart, secrets in credentials.json and details in logins.json, both 0600', async () => {
    const home = path.join(await tempDir('login-store-'), 'home');
    const store = await openLoginStore(home, { keychain: false });
    const a = login('https://a.example', 'alice');
    const b = login('http://127.0.0.1:7419', 'bob');
    await store.save(a);
    await store.save(b);

    expect(await mode(home)).toBe(0o700);
    expect(await mode(path.join(home, CREDENTIALS_FILE))).toBe(0o600);
    expect(await mode(path.join(home, LOGINS_FILE))).toBe(0o600);
    expect(await store.load(a.url)).toEqual(a);
    expect(await store.load(b.url)).toEqual(b);
    expect((await store.list()).map((l) => l.user.name).sort()).toEqual(['alice', 'bob']);
    expect(await store.load('https://never.example')).toBeUndefined();

    const details = await readFile(path.join(home, LOGINS_FILE), 'utf8');
    expect(details).not.toContain(a.refreshToken);
    expect(details).not.toContain('access.alice.jwt');
    expect(JSON.parse(details).logins[a.url]).toMatchObject({ backend: 'file', scopes: a.scopes });
    const secrets = JSON.parse(await readFile(path.join(home, CREDENTIALS_FILE), 'utf8'));
    expect(secrets[b.url]).toEqual({ refreshToken: b.refreshToken, accessToken: b.accessToken });
  });

  it('replaces a daemon’s login on save (rotated refresh token) without touching the others', async () => {
    const home = await tempDir('login-store-');
    const store = await openLoginStore(home, { keychain: false });
    await store.save(login('https://a.example', 'alice'));
    await store.save(login('https://b.example', 'bob'));
    const rotated = { ...login('https://a.example', 'alice'), refreshToken: 'disco_rt_rotated' };
    delete rotated.accessToken;
    await store.save(rotated);
    expect(await store.load('https://a.example')).toEqual(rotated);
    expect(await store.load('https://b.example')).toEqual(login('https://b.example', 'bob'));
    expect(await readFile(path.join(home, CREDENTIALS_FILE), 'utf8')).not.toContain('disco_rt_alice_refresh');
  });

  it('removes one daemon’s login and its secrets, and forgets it as the default', async () => {
    const home = await tempDir('login-store-');
    const store = await openLoginStore(home, { keychain: false });
    await store.save(login('https://a.example', 'alice'));
    await store.save(login('https://b.example', 'bob'));
    await store.setDefault('https://a.example');
    expect(loginIndex(home)).toEqual({
      default: 'https://a.example',
      urls: ['https://a.example', 'https://b.example'],
    });

    expect(await store.remove('https://a.example')).toBe(true);
    expect(await store.remove('https://a.example')).toBe(false);
    expect(await store.load('https://a.example')).toBeUndefined();
    expect(loginIndex(home)).toEqual({ urls: ['https://b.example'] });
    expect(await readFile(path.join(home, CREDENTIALS_FILE), 'utf8')).not.toContain('disco_rt_alice');
    expect(await mode(path.join(home, CREDENTIALS_FILE))).toBe(0o600);
    expect((await store.list()).map((l) => l.url)).toEqual(['https://b.example']);
  });

  it('reads the index as empty before any login, and refuses to guess over an unreadable file', async () => {
    const home = await tempDir('login-store-');
    expect(loginIndex(home)).toEqual({ urls: [] });
    const store = await openLoginStore(home, { keychain: false });
    expect(await store.list()).toEqual([]);
    await writeFile(path.join(home, LOGINS_FILE), '{ not json');
    expect(loginIndex(home)).toEqual({ urls: [] });
    await expect(store.load('https://a.example')).rejects.toThrow(/logins\.json is unreadable.*fix or delete it/);
  });
});

import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREDENTIALS_FILE, LOGINS_FILE, openLoginStore } from '../../src/cli/login-store.js';
import type { StoredLogin } from '../../src/cli/session.js';
import { tempDir } from '../helpers/daemon.js';
import {
  type Keytar,
  loadKeytar,
  type SecretService,
  secretServiceAvailable,
  startSecretService,
} from '../helpers/secret-service.js';
import { requireSystem } from '../helpers/system.js';

const login = (url: string, name: string): StoredLogin => ({
  url,
  user: { id: `u-${name}`, name, isAdmin: name === 'root' },
  scopes: ['containers', 'exec'],
  kind: 'oauth',
  refreshToken: `disco_rt_${name}_${Math.random().toString(36).slice(2)}`,
  accessToken: `access.${name}.jwt`,
  accessExpiresAt: 1_900_000_000_000,
});

/** Every file under `dir` whose bytes contain `needle` (the keyring on disk is encrypted, so: none). */
async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const hits: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if ((await readFile(file)).includes(needle)) hits.push(file);
  }
  return hits;
}

describe.runIf(
  requireSystem('keytar with dbus-run-session and gnome-keyring-daemon (OS keychain)', secretServiceAvailable()),
)('login store with a real OS keychain (Secret Service on a private D-Bus session)', () => {
  let service: SecretService;
  let keyringHome: string;
  let keytar: Keytar;
  beforeAll(async () => {
    keyringHome = await tempDir('keyring-home-');
    service = await startSecretService(keyringHome);
    // This worker process talks to the private session only (keytar connects on first use, after this).
    process.env.DBUS_SESSION_BUS_ADDRESS = service.address;
    delete process.env.DISPLAY;
    keytar = loadKeytar() as Keytar;
  });
  afterAll(() => service?.stop());

  it('keeps secrets in the keychain under service "disco" and the daemon URL, never in a file', async () => {
    const home = await tempDir('login-store-kc-');
    const store = await openLoginStore(home);
    expect(store.backend).toBe('keychain');
    expect(store.notice).toBeUndefined();

    const a = login('https://a.example', 'alice');
    const b = login('http://127.0.0.1:7419', 'root');
    await store.save(a);
    await store.save(b);
    expect(store.backend).toBe('keychain');

    // Read back independently of the store: straight from the Secret Service.
    expect(JSON.parse((await keytar.getPassword('disco', a.url)) as string)).toEqual({
      refreshToken: a.refreshToken,
      accessToken: a.accessToken,
    });
    expect(JSON.parse((await keytar.getPassword('disco', b.url)) as string).refreshToken).toBe(b.refreshToken);

    await expect(stat(path.join(home, CREDENTIALS_FILE))).rejects.toMatchObject({ code: 'ENOENT' });
    const details = JSON.parse(await readFile(path.join(home, LOGINS_FILE), 'utf8'));
    expect(details.logins[a.url]).toMatchObject({ backend: 'keychain', user: a.user, scopes: a.scopes });
    for (const dir of [home, keyringHome]) {
      expect(await filesContaining(dir, a.refreshToken)).toEqual([]);
      expect(await filesContaining(dir, 'access.alice.jwt')).toEqual([]);
    }

    // A second CLI run (a new store) finds both logins again.
    const again = await openLoginStore(home);
    expect(await again.load(a.url)).toEqual(a);
    expect((await again.list()).map((l) => l.user.name).sort()).toEqual(['alice', 'root']);
  });

  it('removes a login from the keychain, leaving the other daemons', async () => {
    const home = await tempDir('login-store-kc-');
    const store = await openLoginStore(home);
    const a = login('https://gone.example', 'gone');
    const b = login('https://kept.example', 'kept');
    await store.save(a);
    await store.save(b);
    expect(await store.remove(a.url)).toBe(true);
    expect(await keytar.getPassword('disco', a.url)).toBeNull();
    expect(await store.load(a.url)).toBeUndefined();
    expect(await store.load(b.url)).toEqual(b);
    const accounts = (await keytar.findCredentials('disco')).map((c) => c.account);
    expect(accounts).toContain(b.url);
    expect(accounts).not.toContain(a.url);
  });

  it('honours keychain: false (DISCO_KEYCHAIN=off) even when a keychain is reachable', async () => {
    const home = await tempDir('login-store-kc-');
    const store = await openLoginStore(home, { keychain: false });
    const c = login('https://file.example', 'filed');
    await store.save(c);
    expect(store.backend).toBe('file');
    expect(await keytar.getPassword('disco', c.url)).toBeNull();
    expect(await readFile(path.join(home, CREDENTIALS_FILE), 'utf8')).toContain(c.refreshToken);
  });
});

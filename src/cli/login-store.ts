import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { atomicWrite } from '../shared/atomic-write.js';
import type { LoginStore, StoredLogin } from './session.js';

const SERVICE = 'disco';
export const LOGINS_FILE = 'logins.json';
export const CREDENTIALS_FILE = 'credentials.json';
const PROBE_TIMEOUT_MS = 3000;

interface Secrets {
  refreshToken: string;
  accessToken?: string;
}
type Meta = Omit<StoredLogin, keyof Secrets>;
interface LoginsFile {
  default?: string;
  logins: Record<string, Meta & { backend: 'keychain' | 'file' }>;
}

/** The keytar calls we use (keytar is optional: it needs libsecret and a D-Bus secret service on Linux). */
interface Keychain {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
}

const withTimeout = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), ms).unref())]);

/** Loads keytar and checks a secret service answers; the reason when not. */
async function openKeychain(): Promise<{ keychain?: Keychain; reason?: string }> {
  let modulePath: string;
  try {
    modulePath = createRequire(import.meta.url).resolve('keytar');
  } catch {
    return { reason: 'keytar is not installed' };
  }
  // The probe runs in a child process: a keychain call stuck on a wedged D-Bus cannot be cancelled, and
  // a libuv thread blocked in it would keep this process from ever exiting. A child can be killed.
  const probe = await probeInChild(modulePath);
  if (probe) return { reason: probe };
  const mod = (await import(pathToFileURL(modulePath).href)) as { default?: Keychain } & Partial<Keychain>;
  return { keychain: (mod.default ?? mod) as Keychain };
}

/**
 * Whether `disco login` can keep secrets in the keychain here, asked exactly as login asks it
 * (`disco doctor` reports it): undefined when it can, else why not.
 */
export async function keychainProblem(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (env.DISCO_KEYCHAIN === 'off') return 'DISCO_KEYCHAIN=off';
  return (await openKeychain()).reason;
}

/** Asks the keychain once from a short-lived child; undefined when it answered, else why not. */
function probeInChild(modulePath: string): Promise<string | undefined> {
  const script = `const k = require(${JSON.stringify(modulePath)});
(k.default ?? k).getPassword('disco', '__probe__').then(() => process.exit(0), (e) => {
  process.stderr.write(String(e && e.message || e).split('\\n')[0]); process.exit(1);
});`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve('timed out');
    }, PROBE_TIMEOUT_MS);
    child.once('error', (e) => {
      clearTimeout(timer);
      resolve(e.message);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 0 ? undefined : err.trim() || `exit ${code}`);
    });
  });
}

const readJson = async <T>(file: string, fallback: T): Promise<T> => {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw new Error(`${file} is unreadable (${(err as Error).message}); fix or delete it`);
  }
};

/** The default daemon and the daemons logged into, read synchronously (and cheaply) at CLI start-up. */
export function loginIndex(home: string): { default?: string; urls: string[] } {
  try {
    const file = JSON.parse(readFileSync(path.join(home, LOGINS_FILE), 'utf8')) as LoginsFile;
    return { ...(file.default ? { default: file.default } : {}), urls: Object.keys(file.logins ?? {}) };
  } catch {
    return { urls: [] };
  }
}

/**
 * Logins per daemon URL. Secrets (refresh and access token) go to the OS keychain through keytar; when no
 * keychain is reachable (headless Linux, containers) they go to `credentials.json`, 0600, with a one-line
 * notice. Non-secret details (user, scopes, expiry, the default daemon) live in `logins.json`, 0600.
 * `DISCO_KEYCHAIN=off` skips the keychain.
 */
export async function openLoginStore(
  home: string,
  opts: { keychain?: boolean } = {},
): Promise<LoginStore & { setDefault(url: string): Promise<void> }> {
  const probe = opts.keychain === false ? { reason: 'DISCO_KEYCHAIN=off' } : await openKeychain();
  const keychain = probe.keychain;
  const logins = path.join(home, LOGINS_FILE);
  const credentials = path.join(home, CREDENTIALS_FILE);
  const write = async (file: string, data: unknown) => {
    await mkdir(home, { recursive: true, mode: 0o700 });
    await atomicWrite(file, Buffer.from(`${JSON.stringify(data, null, 2)}\n`), 0o600);
  };
  const readLogins = () => readJson<LoginsFile>(logins, { logins: {} });
  const readCreds = () => readJson<Record<string, Secrets>>(credentials, {});

  const secretsOf = async (url: string, backend: 'keychain' | 'file'): Promise<Secrets | undefined> => {
    if (backend === 'keychain') {
      if (!keychain) return undefined;
      const raw = await keychain.getPassword(SERVICE, url);
      return raw ? (JSON.parse(raw) as Secrets) : undefined;
    }
    return (await readCreds())[url];
  };

  const store: LoginStore & {
    setDefault(url: string): Promise<void>;
    backend: 'keychain' | 'file';
    notice: string | undefined;
  } = {
    backend: keychain ? 'keychain' : 'file',
    notice: keychain
      ? undefined
      : `notice: no OS keychain reachable (${probe.reason}); credentials are kept in ${credentials} (mode 0600)`,
    async load(url) {
      const meta = (await readLogins()).logins[url];
      if (!meta) return undefined;
      const secrets = await secretsOf(url, meta.backend);
      if (!secrets) return undefined;
      const { backend: _b, ...rest } = meta;
      return { ...rest, ...secrets };
    },
    async save(login) {
      const { refreshToken, accessToken, ...meta } = login;
      const secrets: Secrets = { refreshToken, ...(accessToken ? { accessToken } : {}) };
      let backend: 'keychain' | 'file' = keychain ? 'keychain' : 'file';
      if (keychain) {
        try {
          await withTimeout(keychain.setPassword(SERVICE, login.url, JSON.stringify(secrets)), PROBE_TIMEOUT_MS);
        } catch (err) {
          // A locked or read-only keychain: keep the session anyway, in the 0600 file, and say so.
          backend = 'file';
          store.backend = 'file';
          store.notice = `notice: the OS keychain refused the secret (${(err as Error).message.split('\n')[0]}); credentials are kept in ${credentials} (mode 0600)`;
        }
      }
      if (backend === 'file') await write(credentials, { ...(await readCreds()), [login.url]: secrets });
      const file = await readLogins();
      file.logins[login.url] = { ...meta, backend };
      await write(logins, file);
    },
    async remove(url) {
      const file = await readLogins();
      const meta = file.logins[url];
      if (!meta) return false;
      if (meta.backend === 'keychain') await keychain?.deletePassword(SERVICE, url);
      else {
        const creds = await readCreds();
        delete creds[url];
        await write(credentials, creds);
      }
      delete file.logins[url];
      if (file.default === url) delete file.default;
      await write(logins, file);
      return true;
    },
    async list() {
      const file = await readLogins();
      const out: StoredLogin[] = [];
      for (const url of Object.keys(file.logins)) {
        const l = await store.load(url);
        if (l) out.push(l);
      }
      return out;
    },
    async setDefault(url) {
      const file = await readLogins();
      file.default = url;
      await write(logins, file);
    },
  };
  return store;
}

import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { childEnv } from './env.js';
import { hasCommand } from './system.js';

/** The keytar calls the tests read the keychain with. */
export interface Keytar {
  getPassword(service: string, account: string): Promise<string | null>;
  findCredentials(service: string): Promise<Array<{ account: string; password: string }>>;
}

/** keytar, when it built (it is an optional dependency); undefined otherwise. */
export function loadKeytar(): Keytar | undefined {
  try {
    return createRequire(import.meta.url)('keytar') as Keytar;
  } catch {
    return undefined;
  }
}

/** True when this machine can run a private Secret Service (D-Bus session + gnome-keyring) for keytar. */
export const secretServiceAvailable = () =>
  loadKeytar() !== undefined &&
  hasCommand('dbus-run-session', ['--version']) &&
  hasCommand('gnome-keyring-daemon', ['--version']);

export interface SecretService {
  /** The session bus address to put in DBUS_SESSION_BUS_ADDRESS. */
  address: string;
  stop(): Promise<void>;
}

/**
 * A private D-Bus session with gnome-keyring's Secret Service, its login keyring created and unlocked
 * under `home` (fed a password on stdin, as on a headless machine). It lives until `stop()` closes the
 * session's stdin.
 */
export function startSecretService(home: string): Promise<SecretService> {
  const script = [
    'echo unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1',
    'echo "bus=$DBUS_SESSION_BUS_ADDRESS"',
    'exec cat >/dev/null',
  ].join('; ');
  const child: ChildProcess = spawn('dbus-run-session', ['--', 'sh', '-c', script], {
    env: childEnv({ HOME: home, XDG_DATA_HOME: `${home}/.local/share` }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const address = /^bus=(\S+)$/m.exec(out)?.[1];
      if (address) resolve({ address, stop });
    });
    child.once('error', reject);
    void exited.then(() => reject(new Error(`the D-Bus session ended early: ${err}`)));
  });
}

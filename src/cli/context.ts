import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { adminTokenPath, DEFAULT_PORT } from '../shared/defaults.js';
import { DiscoClient } from './client.js';
import { loginIndex, openLoginStore } from './login-store.js';
import { type LoginStore, TokenSource } from './session.js';

export interface CliEnv {
  home: string;
  baseUrl: string;
  /** A fixed token from the environment or the local admin-token file (`disco token` prints it). */
  token: string | undefined;
  /** The token each request sends: DISCO_TOKEN, else the stored login (refreshed), else the admin token. */
  tokens: TokenSource;
  /** The login store (keychain or 0600 file), opened on first use. */
  store: () => Promise<LoginStore & { setDefault(url: string): Promise<void> }>;
  client: () => DiscoClient;
}

/**
 * Where the CLI finds its daemon and credentials: DISCO_URL, else the daemon `disco login` made the
 * default, else the local daemon. Tokens: DISCO_TOKEN, else a stored login for that daemon, else
 * DISCO_ADMIN_TOKEN or the admin token file the local daemon wrote in $DISCO_HOME.
 */
export function resolveCliEnv(env: NodeJS.ProcessEnv): CliEnv {
  const home = path.resolve(env.DISCO_HOME || path.join(os.homedir(), '.disco'));
  const port = env.DISCO_PORT || String(DEFAULT_PORT);
  const index = loginIndex(home);
  const baseUrl = (env.DISCO_URL || index.default || `http://127.0.0.1:${port}`).replace(/\/+$/, '');
  const adminToken = env.DISCO_ADMIN_TOKEN || readTokenFile(home);
  const adminTokenFrom = env.DISCO_ADMIN_TOKEN ? 'DISCO_ADMIN_TOKEN' : adminTokenPath(home);
  let store: ReturnType<CliEnv['store']> | undefined;
  const openStore = () => {
    store ??= openLoginStore(home, { keychain: env.DISCO_KEYCHAIN !== 'off' });
    return store;
  };
  const tokens = new TokenSource(baseUrl, {
    envToken: env.DISCO_TOKEN || undefined,
    adminToken,
    adminTokenFrom,
    // The keychain is opened only when there is a login for this daemon (it can take a moment to probe).
    ...(index.urls.includes(baseUrl) ? { store: openStore } : {}),
    lockDir: home,
  });
  return {
    home,
    baseUrl,
    token: env.DISCO_TOKEN || adminToken,
    tokens,
    store: openStore,
    client: () => new DiscoClient(baseUrl, tokens),
  };
}

export function readTokenFile(home: string): string | undefined {
  try {
    return readFileSync(adminTokenPath(home), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export const clientFor = (env: CliEnv) => env.client();

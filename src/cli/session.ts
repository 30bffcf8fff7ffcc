import { open, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { exchange } from './browser-login.js';
import { ApiError, DaemonUnreachableError } from './client.js';

/** What `disco login` keeps per daemon. The refresh (and access) token are secrets: keychain or 0600 file. */
export interface StoredLogin {
  url: string;
  user: { id: string; name: string; isAdmin: boolean };
  scopes: string[];
  /** `session`: refreshed at /api/v1/auth/refresh; `oauth`: the CLI's OAuth client, at /oauth/token. */
  kind: 'session' | 'oauth';
  refreshToken: string;
  accessToken?: string;
  /** ms since epoch. */
  accessExpiresAt?: number;
}

/** Where logins live (implemented over the keychain with a file fallback). */
export interface LoginStore {
  /** Where secrets went (a save may fall back from the keychain to the file). */
  backend: 'keychain' | 'file';
  notice?: string | undefined;
  load(url: string): Promise<StoredLogin | undefined>;
  save(login: StoredLogin): Promise<void>;
  remove(url: string): Promise<boolean>;
  list(): Promise<StoredLogin[]>;
}

const EARLY_MS = 30_000;

/**
 * The bearer token a CLI command sends: DISCO_TOKEN, else the stored login for the daemon (refreshing
 * its access token when due), else the local daemon's admin token.
 */
export class TokenSource {
  private current: string | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly opts: {
      envToken?: string | undefined;
      adminToken?: string | undefined;
      /** Where the admin token came from, for messages: DISCO_ADMIN_TOKEN or the token file's path. */
      adminTokenFrom?: string | undefined;
      store?: () => Promise<LoginStore>;
      lockDir?: string;
    },
  ) {}

  /** Where the token last handed out came from, in words (auth failures name it). */
  source = 'no token';

  async get(): Promise<string | undefined> {
    if (this.opts.envToken) {
      this.source = 'DISCO_TOKEN from the environment';
      return this.opts.envToken;
    }
    if (this.current) return this.current;
    const login = await this.login();
    if (login) {
      this.source = `the stored login for ${this.baseUrl} (disco login)`;
      this.current =
        login.accessToken && (login.accessExpiresAt ?? 0) > Date.now() + EARLY_MS
          ? login.accessToken
          : ((await this.refresh()) ?? undefined);
      if (this.current) return this.current;
    }
    this.source = this.opts.adminToken
      ? `the admin token from ${this.opts.adminTokenFrom ?? 'the local daemon'}`
      : 'no token (set DISCO_TOKEN or run `disco login`)';
    return this.opts.adminToken;
  }

  /**
   * What to do when the token sent was revoked: a revoked admin token stays revoked across restarts, and
   * `disco token` keeps printing it, so say how the local daemon makes a new one.
   */
  revokedHint(): string {
    if (!this.source.startsWith('the admin token from') || !this.opts.adminTokenFrom) return '';
    return this.opts.adminTokenFrom === 'DISCO_ADMIN_TOKEN'
      ? '; a revoked admin token stays revoked: start `disco serve` with another DISCO_ADMIN_TOKEN'
      : `; a revoked admin token stays revoked: delete ${this.opts.adminTokenFrom} and restart \`disco serve\` to make a new one`;
  }

  /** After a 401: a stored login refreshes once; other tokens have nothing to retry with. */
  async retryToken(): Promise<string | undefined> {
    if (this.opts.envToken || !(await this.login())) return undefined;
    this.current = (await this.refresh()) ?? undefined;
    return this.current;
  }

  private async login(): Promise<StoredLogin | undefined> {
    if (!this.opts.store) return undefined;
    return (await this.opts.store()).load(this.baseUrl);
  }

  /**
   * Rotates the refresh token. Several CLI processes may refresh at once; a spent token presented twice
   * revokes the whole session (reuse detection), so refreshes are serialised with a lock file and the
   * store is re-read inside it: whoever comes second finds the fresh token already there.
   */
  private async refresh(): Promise<string | null> {
    const store = this.opts.store ? await this.opts.store() : undefined;
    if (!store) return null;
    return withLock(this.opts.lockDir, async () => {
      const login = await store.load(this.baseUrl);
      if (!login) return null;
      if (
        login.accessToken &&
        (login.accessExpiresAt ?? 0) > Date.now() + EARLY_MS &&
        login.accessToken !== this.current
      ) {
        return login.accessToken;
      }
      try {
        const next = await refreshLogin(login);
        await store.save(next);
        return next.accessToken ?? null;
      } catch (err) {
        if (err instanceof ApiError && (err.status === 401 || err.code === 'invalid_grant')) {
          throw new ApiError(
            'unauthorized',
            `your session at ${login.url} has ended; run \`disco login ${login.url}\` again`,
            401,
          );
        }
        throw err;
      }
    });
  }
}

export async function refreshLogin(login: StoredLogin): Promise<StoredLogin> {
  if (login.kind === 'oauth') {
    const t = await exchange(login.url, {
      grant_type: 'refresh_token',
      refresh_token: login.refreshToken,
      client_id: 'disco-cli',
    });
    return {
      ...login,
      refreshToken: t.refresh_token,
      accessToken: t.access_token,
      accessExpiresAt: Date.now() + t.expires_in * 1000,
    };
  }
  const pair = (await postJson(login.url, '/api/v1/auth/refresh', { refreshToken: login.refreshToken })) as {
    accessToken: string;
    refreshToken: string;
    expiresIn: number;
  };
  return {
    ...login,
    refreshToken: pair.refreshToken,
    accessToken: pair.accessToken,
    accessExpiresAt: Date.now() + pair.expiresIn * 1000,
  };
}

/** A JSON POST to the daemon outside the op registry (sign-in endpoints). */
export async function postJson(baseUrl: string, urlPath: string, body: unknown, bearer?: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(new URL(urlPath, baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      body: JSON.stringify(body),
    });
  } catch (err) {
    throw new DaemonUnreachableError(baseUrl, (err as { cause?: { code?: string } }).cause?.code);
  }
  const json = (await res.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
  if (!res.ok)
    throw new ApiError(json?.error?.code ?? 'http_error', json?.error?.message ?? `HTTP ${res.status}`, res.status);
  return json;
}

/** A cross-process lock: an exclusive-create file, stale after 30 s (a crashed holder). */
async function withLock<T>(dir: string | undefined, fn: () => Promise<T>): Promise<T> {
  if (!dir) return fn();
  const file = path.join(dir, 'login.lock');
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const fh = await open(file, 'wx', 0o600);
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fn();
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = await stat(file).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > 30_000) await rm(file, { force: true });
      else if (Date.now() > deadline)
        throw new Error(`another disco process holds ${file}; remove it if none is running`);
      else await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(file, { force: true });
  }
}

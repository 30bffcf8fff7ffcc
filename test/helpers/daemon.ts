import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Config, loadConfig } from '../../src/daemon/config.js';
import { type Daemon, type StartOptions, startDaemon } from '../../src/daemon/main.js';

export interface TestDaemon {
  daemon: Daemon;
  url: string;
  token: string;
  home: string;
  /** fetch against the daemon with the admin token; `auth: false` sends none. */
  request: (
    method: string,
    urlPath: string,
    init?: { body?: unknown; headers?: Record<string, string>; auth?: boolean },
  ) => Promise<Response>;
  /** Like request, but parses JSON and returns status + body. */
  // biome-ignore lint/suspicious/noExplicitAny: tests assert on arbitrary JSON shapes
  json: <T = any>(method: string, urlPath: string, body?: unknown) => Promise<{ status: number; body: T }>;
  stop: () => Promise<void>;
}

export async function tempDir(prefix = 'disco-test-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

/** A real daemon on a free port with its own temp $DISCO_HOME; logs silenced. */
export async function startTestDaemon(
  env: Record<string, string> = {},
  mutate?: (c: Config) => void,
  options: StartOptions = {},
): Promise<TestDaemon> {
  const home = await tempDir();
  const token = `test-token-${Math.random().toString(36).slice(2)}-padding`;
  const config = loadConfig({
    DISCO_HOME: home,
    DISCO_PORT: '0',
    DISCO_LOG_LEVEL: 'silent',
    DISCO_ADMIN_TOKEN: token,
    // Tests sign in far more often than people do; the rate-limit tests set their own budgets.
    DISCO_AUTH_RATE_LIMIT_PER_MINUTE: '100000',
    DISCO_RATE_LIMIT_PER_MINUTE: '1000000',
    ...env,
  });
  mutate?.(config);
  const daemon = await startDaemon(config, options);
  const request: TestDaemon['request'] = (method, urlPath, init = {}) =>
    fetch(`${daemon.url}${urlPath}`, {
      method,
      headers: {
        ...(init.auth === false ? {} : { authorization: `Bearer ${token}` }),
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...init.headers,
      },
      ...(init.body !== undefined
        ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }
        : {}),
    });
  return {
    daemon,
    url: daemon.url,
    token,
    home,
    request,
    json: async (method, urlPath, body) => {
      const res = await request(method, urlPath, body === undefined ? {} : { body });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    stop: async () => {
      await daemon.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** Parses a response body for assertions on arbitrary JSON shapes. */
// biome-ignore lint/suspicious/noExplicitAny: tests assert on arbitrary JSON shapes
export const bodyOf = (res: Response): Promise<any> => res.json();

/** One JSON request to a daemon with a bearer token of the test's choosing (or none): status and parsed body. */
export async function callWithToken(
  baseUrl: string,
  method: string,
  urlPath: string,
  token?: string,
  body?: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: tests assert on arbitrary JSON shapes
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${baseUrl}${urlPath}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { adminTokenPath } from '../daemon/auth/admin-token.js';
import { DEFAULT_PORT } from '../daemon/config.js';
import { DiscoClient } from './client.js';

export interface CliEnv {
  home: string;
  baseUrl: string;
  token: string | undefined;
}

/**
 * Where the CLI finds its daemon and token: DISCO_URL (default the local daemon's address), then
 * DISCO_TOKEN, DISCO_ADMIN_TOKEN, or the admin token file the local daemon wrote in $DISCO_HOME.
 */
export function resolveCliEnv(env: NodeJS.ProcessEnv): CliEnv {
  const home = path.resolve(env.DISCO_HOME || path.join(os.homedir(), '.disco'));
  const port = env.DISCO_PORT || String(DEFAULT_PORT);
  const baseUrl = (env.DISCO_URL || `http://127.0.0.1:${port}`).replace(/\/+$/, '');
  return { home, baseUrl, token: env.DISCO_TOKEN || env.DISCO_ADMIN_TOKEN || readTokenFile(home) };
}

export function readTokenFile(home: string): string | undefined {
  try {
    return readFileSync(adminTokenPath(home), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export const clientFor = (env: CliEnv) => new DiscoClient(env.baseUrl, env.token);

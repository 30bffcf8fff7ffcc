import path from 'node:path';

/**
 * Small facts the CLI and the daemon share. They live outside src/daemon so the CLI can use them without
 * loading daemon code (test/unit/cli-imports.test.ts keeps it that way).
 */
export const DEFAULT_PORT = 7419;

export const ADMIN_TOKEN_FILE = 'admin-token';
export const adminTokenPath = (home: string) => path.join(home, ADMIN_TOKEN_FILE);

/** True when the bind address only accepts local connections. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

import { execFileSync } from 'node:child_process';

/**
 * The uid a root daemon runs container commands as (DISCO_SANDBOX_UID's default); undefined when the tests
 * run as an ordinary user, whose own uid the sandbox maps.
 */
export const SANDBOX_UID = process.getuid?.() === 0 ? 65534 : undefined;

/**
 * Hands a tree the test seeded as root to the sandbox uid, as if the container had written it: otherwise a
 * sandboxed program could not write there, and an attack test would pass only because the attacker's
 * program lacked permission.
 */
export function handToSandbox(...dirs: string[]): void {
  if (SANDBOX_UID === undefined) return;
  execFileSync('chown', ['-R', `${SANDBOX_UID}:${SANDBOX_UID}`, ...dirs]);
}

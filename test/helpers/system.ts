import { execFileSync } from 'node:child_process';

/** True when `cmd` runs on this machine. */
export function hasCommand(cmd: string, args: string[] = ['--version']): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Decides whether tests needing a system component run. Locally a missing component skips them;
 * under CI (CI set) nothing may skip, so a missing component is an error that names it.
 */
export function requireSystem(component: string, available: boolean): boolean {
  if (available) return true;
  if (process.env.CI) throw new Error(`${component} is required under CI but is missing; .ci/run must install it`);
  return false;
}

import { readdirSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { processAlive } from '../workspace/container-pids.js';

/** Removes the lib directories of processes that have ended (crashed: a clean shutdown removes its own). */
export function sweepLibDirs(runDir: string): void {
  let names: string[];
  try {
    names = readdirSync(runDir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^lib\.(\d+)\.[0-9a-f]{8}$/.exec(name);
    // The processes sharing a home share a pid namespace (as the job lease assumes). An older build's `lib`
    // stays: a daemon of that build may still be using it.
    if (m && !processAlive(Number(m[1]))) rmSync(path.join(runDir, name), { recursive: true, force: true });
  }
}

/** The real directory holding @lydell/node-pty and its platform package, or undefined without it. */
export function ptyModules(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('@lydell/node-pty/package.json');
    return realpathSync(path.dirname(path.dirname(pkg)));
  } catch {
    return undefined;
  }
}

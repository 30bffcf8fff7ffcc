import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * A worker thread's script, `daemonPath` under `src/daemon` (e.g. `rag/search-worker.js`): the compiled
 * file in `dist/daemon`, next to the code that starts it. When the daemon runs from TypeScript sources
 * (tests) the worker still needs JavaScript, so the built copy in dist/ is used then.
 */
export function workerScript(daemonPath: string): URL {
  const here = new URL(`./${daemonPath}`, import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return new URL(`../../dist/daemon/${daemonPath}`, import.meta.url);
}

import { afterAll, beforeAll } from 'vitest';
import { runtimeApi } from './api.js';
import { fileCases } from './files-cases.js';
import { processCases } from './process-cases.js';
import { serviceCases } from './service-cases.js';

/**
 * The op cases every container runtime must pass (issue 18), over the REST API of a real daemon. A
 * runtime's test file builds a fixture and calls `defineRuntimeCases`. The cases use only the command
 * surface the WebContainer stand-in implements (`node -v`, `node -e`, `echo`, `cat`, `ls`, `sleep`, `pwd`,
 * `true`, `false`, `sh -c "<one of these>"`, and an interactive shell for PTYs), and their expected
 * outputs never depend on the runtime (no absolute paths, pids or uids).
 */
export interface RuntimeFixture {
  name: 'sandbox' | 'webcontainer';
  baseUrl: string; // a running daemon (real HTTP, port 0)
  token: string; // admin bearer token
  createContainer(name: string): Promise<string>; // id, ready for exec
  close(): Promise<void>;
}

export { PTY_SHELL } from './api.js';

export function defineRuntimeCases(make: () => Promise<RuntimeFixture>): void {
  let fx: RuntimeFixture | undefined;
  beforeAll(async () => {
    fx = await make();
  }, 120_000);
  afterAll(async () => {
    await fx?.close();
  }, 60_000);
  const api = runtimeApi(() => {
    if (!fx) throw new Error('the runtime fixture did not start');
    return fx;
  });
  fileCases(api);
  processCases(api);
  serviceCases(api);
}

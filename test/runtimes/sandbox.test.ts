import { describe } from 'vitest';
import { startTestDaemon } from '../helpers/daemon.js';
import { hasCommand, requireSystem } from '../helpers/system.js';
import { defineRuntimeCases, type RuntimeFixture } from './cases.js';

const hasBwrap = requireSystem('bubblewrap', hasCommand('bwrap', ['--version']));

/** The shared op cases on the bubblewrap live sandbox: one daemon for all of them, a container per group. */
async function sandboxFixture(): Promise<RuntimeFixture> {
  // No warm pool: each case group's container starts its own sandbox on its first command.
  const t = await startTestDaemon({ DISCO_SANDBOX: 'bwrap', DISCO_POOL_SIZE: '0' });
  return {
    name: 'sandbox',
    baseUrl: t.url,
    token: t.token,
    createContainer: async (name) => {
      const r = await t.json('POST', '/api/v1/containers', { name });
      if (r.status !== 201 && r.status !== 200) throw new Error(`container_create ${name}: ${JSON.stringify(r.body)}`);
      return r.body.id as string;
    },
    close: () => t.stop(),
  };
}

describe.runIf(hasBwrap)('runtime: sandbox', () => {
  defineRuntimeCases(sandboxFixture);
});

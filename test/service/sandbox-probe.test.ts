import { describe, expect, it } from 'vitest';
import { NO_LIMITS } from '../../src/daemon/workspace/sandbox.js';
import { detectSandbox } from '../../src/daemon/workspace/sandbox-detect.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

const bwrap = requireSystem('bubblewrap', hasCommand('bwrap'));
// RLIMIT_NPROC counts every process of the uid commands run as, across all containers: with a budget of
// one process it is always spent, as it is when busy containers have used it up at a daemon restart.
const spent = { limits: { ...NO_LIMITS, processes: 1 } };

describe.runIf(bwrap)('sandbox detection', () => {
  it('finds bubblewrap although the per-process limit on processes is spent', async () => {
    const sandbox = await detectSandbox('bwrap', spent);
    expect(sandbox.mode).toBe('bwrap');
    expect(sandbox.limits.processes).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { detectSandbox, NO_LIMITS } from '../../src/daemon/workspace/sandbox.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

const bwrap = requireSystem('bubblewrap', hasCommand('bwrap'));

describe.runIf(bwrap)('sandbox detection', () => {
  // RLIMIT_NPROC counts every process of the uid commands run as, across all containers: with a budget of
  // one process it is always spent, as it is when busy containers have used it up at a daemon restart.
  it('finds bubblewrap although the per-process limit on processes is spent', () => {
    const sandbox = detectSandbox('bwrap', { limits: { ...NO_LIMITS, processes: 1 } });
    expect(sandbox.mode).toBe('bwrap');
    expect(sandbox.limits.processes).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { DiscoError } from '../../src/daemon/errors.js';
import { type LiveSandbox, SandboxCapacity } from '../../src/daemon/sandbox/capacity.js';

/** The admission rule of sandbox/capacity.ts, without sandboxes (test/security/sandbox-capacity.test.ts has them). */
const box = (containerId: string, owner: string, lastUsed: number, busy = false): LiveSandbox => ({
  containerId,
  owner,
  lastUsed,
  busy,
});

function capacity(maxLive: number, maxLivePerUser: number, inUse: string[] = []) {
  return new SandboxCapacity(
    { maxLive, maxLivePerUser },
    { ownerOf: () => undefined, inUse: (id) => inUse.includes(id), evict: () => {} },
  );
}

const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return err as DiscoError;
  }
  throw new Error('not refused');
};

describe('SandboxCapacity.admit', () => {
  it('admits freely below the bounds, and without bounds', () => {
    expect(capacity(3, 2).admit('a', [box('x', 'b', 1)])).toEqual({ victims: [] });
    const many = Array.from({ length: 100 }, (_, i) => box(`c${i}`, 'a', i));
    expect(capacity(0, 0).admit('a', many)).toEqual({ victims: [] });
  });

  it("over the daemon's cap, evicts the least recently used idle sandbox of anyone", () => {
    const live = [box('new', 'a', 30), box('old', 'b', 10), box('mid', 'a', 20)];
    expect(capacity(3, 0).admit('a', live)).toEqual({ victims: ['old'] });
  });

  it('skips busy, starting and in-use sandboxes; refuses with unavailable when none is idle', () => {
    const live = [box('old', 'b', 10, true), box('mid', 'a', 20), box('new', 'a', 30)];
    expect(capacity(3, 0, ['mid']).admit('a', live)).toEqual({ victims: ['new'] });
    const err = refusal(() => capacity(3, 0, ['mid', 'new']).admit('a', live));
    expect(err).toBeInstanceOf(DiscoError);
    expect(err.code).toBe('unavailable');
    expect(err.details).toEqual({ limit: 'live_sandboxes', max: 3 });
  });

  it("over the user's own bound, evicts only that user's sandbox, else refuses with conflict", () => {
    const live = [box('theirs', 'b', 1), box('mine1', 'a', 20), box('mine2', 'a', 10)];
    expect(capacity(10, 2).admit('a', live)).toEqual({ victims: ['mine2'] });
    const err = refusal(() => capacity(10, 2, ['mine1', 'mine2']).admit('a', live));
    expect(err.code).toBe('conflict');
    expect(err.details).toEqual({ limit: 'live_sandboxes_per_user', max: 2 });
  });

  it("counts the user's eviction toward the daemon's cap", () => {
    const live = [box('theirs', 'b', 1), box('mine1', 'a', 20), box('mine2', 'a', 10)];
    expect(capacity(3, 2).admit('a', live)).toEqual({ victims: ['mine2'] });
  });

  it('prestarts only below half of each bound, and never evicts', () => {
    const two = [box('x', 'b', 1), box('y', 'b', 2)];
    expect(capacity(8, 0).admit('a', two, true)).toEqual({ victims: [] });
    expect(capacity(4, 0).admit('a', two, true)).toEqual({ skip: true });
    expect(capacity(0, 4).admit('b', two, true)).toEqual({ skip: true });
    expect(capacity(0, 4).admit('a', two, true)).toEqual({ victims: [] });
  });
});

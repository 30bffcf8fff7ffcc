import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { compactingCollect, exposedGc, heapTrimCheck } from '../../src/daemon/observability/heap-trim.js';

const MB = 1024 * 1024;

describe('heapTrimCheck', () => {
  it('scavenges at the first idle check, collects after three more, and not again until the heap grew back', () => {
    let heap = { total: 120 * MB };
    let elu = 0.01;
    const calls: string[] = [];
    const check = heapTrimCheck({
      heap: () => heap,
      utilisation: () => elu,
      scavenge: () => calls.push('scavenge'),
      collect: () => {
        calls.push('collect');
        heap = { total: 45 * MB };
      },
    });
    expect(check()).toBe(false); // quiet: the window opens with a scavenge
    expect(calls).toEqual(['scavenge']);
    expect(check()).toBe(false);
    expect(check()).toBe(false);
    expect(check()).toBe(true); // 6 s later, still quiet
    expect(calls).toEqual(['scavenge', 'collect']);
    heap = { total: 55 * MB }; // grew a little: not past where it was trimmed + 16 MB
    for (let i = 0; i < 5; i++) expect(check()).toBe(false);
    expect(calls).toHaveLength(2);
    heap = { total: 130 * MB }; // dead objects from a load count as used: the committed size is what grew
    elu = 0.5; // busy: never during load
    expect(check()).toBe(false);
    elu = 0.01;
    expect(check()).toBe(false);
    expect(check()).toBe(false);
    elu = 0.5; // a lull between bursts is not idle: the window starts again
    expect(check()).toBe(false);
    elu = 0.01;
    for (let i = 0; i < 3; i++) expect(check()).toBe(false);
    expect(check()).toBe(true);
    expect(calls).toEqual(['scavenge', 'collect', 'scavenge', 'scavenge', 'collect']);
  });

  it('leaves alone a heap that did not grow since its last trim', () => {
    const calls: string[] = [];
    const check = heapTrimCheck({
      heap: () => ({ total: 60 * MB }),
      utilisation: () => 0,
      scavenge: () => calls.push('scavenge'),
      collect: () => calls.push('collect'),
    });
    for (let i = 0; i < 20; i++) check();
    expect(calls).toEqual(['scavenge', 'collect']);
  });
});

describe('the trim on a real heap', () => {
  const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
  const load = () => {
    // Short-lived objects at a rate that makes V8 grow its semi-spaces, as a request load does.
    let keep: Array<{ i: number; s: string }> = [];
    let made = 0;
    for (let round = 0; round < 120; round++) {
      for (let i = 0; i < 100_000; i++) keep.push({ i, s: `x${i}` });
      made += keep.length;
      if (keep.length > 300_000) keep = [];
    }
    return made;
  };

  it('gives back the young generation a load grew: a scavenge, 5+ s of quiet, then the full collection', async () => {
    const gc = exposedGc();
    expect(load()).toBeGreaterThan(0);
    const grown = newSpace();
    expect(grown).toBeGreaterThanOrEqual(8 * MB);
    compactingCollect(gc); // straight after the load (what the trim did before): the new space stays
    expect(newSpace()).toBe(grown);
    gc({ type: 'minor' });
    await new Promise((r) => setTimeout(r, 5_500));
    compactingCollect(gc);
    expect(newSpace()).toBeLessThanOrEqual(2 * MB);
  }, 20_000);
});

import { describe, expect, it } from 'vitest';
import { heapTrimCheck } from '../../src/daemon/observability/heap-trim.js';

const MB = 1024 * 1024;

describe('heapTrimCheck', () => {
  it('collects once after two idle checks, and not again until the heap grew back', () => {
    let heap = { total: 120 * MB };
    let elu = 0.01;
    let collected = 0;
    const check = heapTrimCheck({
      heap: () => heap,
      utilisation: () => elu,
      collect: () => {
        collected++;
        heap = { total: 45 * MB };
      },
    });
    expect(check()).toBe(false); // one quiet interval is not idle yet
    expect(check()).toBe(true);
    expect(collected).toBe(1);
    heap = { total: 55 * MB }; // grew a little: not past where it was trimmed + 16 MB
    expect(check()).toBe(false);
    heap = { total: 130 * MB }; // dead objects from a load count as used: the committed size is what grew
    elu = 0.5; // busy: never during load
    expect(check()).toBe(false);
    elu = 0.01;
    expect(check()).toBe(false); // quiet again, but only for one interval since the load
    elu = 0.5;
    expect(check()).toBe(false); // a lull between bursts is not idle
    elu = 0.01;
    expect(check()).toBe(false);
    expect(check()).toBe(true);
    expect(collected).toBe(2);
  });

  it('leaves alone a heap that did not grow since its last trim', () => {
    let collected = 0;
    const check = heapTrimCheck({
      heap: () => ({ total: 60 * MB }),
      utilisation: () => 0,
      collect: () => collected++,
    });
    for (let i = 0; i < 10; i++) check();
    expect(collected).toBe(1);
  });
});

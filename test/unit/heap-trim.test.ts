import { describe, expect, it } from 'vitest';
import { heapTrimCheck } from '../../src/daemon/observability/heap-trim.js';

const MB = 1024 * 1024;

describe('heapTrimCheck', () => {
  it('collects once when idle with much unused heap, and not again until the heap grew back', () => {
    let heap = { total: 120 * MB, used: 30 * MB };
    let elu = 0.01;
    let collected = 0;
    const check = heapTrimCheck({
      heap: () => heap,
      utilisation: () => elu,
      collect: () => {
        collected++;
        heap = { total: 45 * MB, used: 28 * MB };
      },
    });
    expect(check()).toBe(false); // one quiet interval is not idle yet
    expect(check()).toBe(true);
    expect(collected).toBe(1);
    heap = { total: 70 * MB, used: 30 * MB }; // grew a little: not back above where it was trimmed + slack
    expect(check()).toBe(false);
    heap = { total: 130 * MB, used: 30 * MB };
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

  it('leaves a heap that uses what it holds alone', () => {
    let collected = 0;
    const check = heapTrimCheck({
      heap: () => ({ total: 60 * MB, used: 50 * MB }),
      utilisation: () => 0,
      collect: () => collected++,
    });
    expect(check()).toBe(false);
    expect(collected).toBe(0);
  });
});

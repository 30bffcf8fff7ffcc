import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * Growth of the committed heap since the last trim that makes an idle daemon collect. Not "committed minus
 * used": after a load the old space is full of dead objects that still count as used until a full GC runs,
 * so that measure missed exactly the case this exists for (a 10-minute soak ended at 119 MB committed, 94 MB
 * "used", ~60 MB live).
 */
const GROWTH_BYTES = 16 * 1024 * 1024;
/** Event-loop utilisation below which the daemon counts as idle over a check interval. */
const IDLE_ELU = 0.05;
/**
 * Checked every 2 s. The first idle check starts a quiet window with a scavenge; three more idle checks in a
 * row (6 s) and the full collection runs (~8 s of quiet in all): soon enough that a daemon whose load just
 * ended gives its memory back within seconds, long enough that a lull between bursts does not cost a full
 * collection. The window is longer than V8's: it shrinks the young generation in a collection only when
 * less than 1 KB/ms was allocated since the previous one over its last 5 s — after a scavenge that has
 * emptied the new space and 6 s of quiet, the full collection sees nearly nothing allocated and shrinks it.
 */
const EVERY_MS = 2_000;
const QUIET_CHECKS = 3;

export interface HeapTrimDeps {
  heap: () => { total: number };
  /** Event-loop utilisation since the previous call (0..1). */
  utilisation: () => number;
  /** A young-generation collection: the new space emptied, allocation measured from here. */
  scavenge: () => void;
  collect: () => void;
}

/**
 * Why RSS grew under load while the JS heap stayed flat: under many concurrent requests, short-lived request
 * objects outlive two scavenges and are promoted, so V8 grows its old space (19 → 79 MB in a 20 s read
 * load), and it grows the young generation's two semi-spaces to their maximum (16 MiB each on 64-bit). After
 * the load their used parts fall back (to ~27 MB and ~0) but the committed pages stay, and Node never tells
 * V8 it is idle, so V8's memory reducer does not run. This does what an idle notification would: when the
 * event loop has been nearly idle for four check intervals and the committed heap grew by 16 MB since the
 * last trim, one full collection returns the empty pages to the system (20–120 ms, only when idle, never
 * again until the heap has grown again). A forced full collection alone leaves the new space at 32 MiB
 * (issue 20: ~29 of a soak's +49 MB RSS); the scavenge that opens the quiet window is what lets it shrink.
 */
export function heapTrimCheck(deps: HeapTrimDeps): () => boolean {
  /** Once trimmed, the heap must grow past this again before the next collection. */
  let trimmedAt = 0;
  let idleChecks = 0;
  return () => {
    idleChecks = deps.utilisation() < IDLE_ELU ? idleChecks + 1 : 0;
    if (idleChecks === 0 || deps.heap().total < trimmedAt) return false;
    if (idleChecks === 1) deps.scavenge();
    if (idleChecks <= QUIET_CHECKS) return false;
    deps.collect();
    trimmedAt = deps.heap().total + GROWTH_BYTES;
    return true;
  };
}

/**
 * The full collection of a trim: compacting (a plain one leaves the old space's partly used pages committed
 * — a soak ended with 40 MB committed for 26 MB used after it; compaction moves the survivors together and
 * returns the rest). It costs more (~110 ms after a soak on a busy 2-core machine), which is why it runs only when idle.
 */
export function compactingCollect(gc: TestGc): void {
  v8.setFlagsFromString('--compact-on-every-full-gc');
  try {
    gc(); // no options: Node 20's V8 runs a scavenge for any options object, { type: 'major' } included
  } finally {
    v8.setFlagsFromString('--no-compact-on-every-full-gc');
  }
}

/** V8's `gc()`: a full collection, or a scavenge with { type: 'minor' }. */
export type TestGc = (options?: { type: 'minor' }) => void;

/** This isolate's `gc()` (the flag only adds the function; V8's own collections are unchanged). */
export function exposedGc(): TestGc {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as TestGc;
}

/** Starts the idle heap trim for this process; returns its stop. */
export function startHeapTrim(): () => void {
  const gc = exposedGc();
  let last = performance.eventLoopUtilization();
  const check = heapTrimCheck({
    heap: () => {
      return { total: process.memoryUsage().heapTotal };
    },
    utilisation: () => {
      const now = performance.eventLoopUtilization();
      const delta = performance.eventLoopUtilization(now, last);
      last = now;
      return delta.utilization;
    },
    scavenge: () => gc({ type: 'minor' }),
    collect: () => compactingCollect(gc),
  });
  const timer = setInterval(check, EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}

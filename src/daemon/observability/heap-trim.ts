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
 * Checked every 2 s, collected after two idle checks in a row (~4 s of quiet): soon enough that a daemon
 * whose load just ended gives its memory back within seconds, long enough that a lull between bursts does
 * not cost a full collection.
 */
const EVERY_MS = 2_000;
const IDLE_CHECKS = 2;

export interface HeapTrimDeps {
  heap: () => { total: number };
  /** Event-loop utilisation since the previous call (0..1). */
  utilisation: () => number;
  collect: () => void;
}

/**
 * Why RSS grew under load while the JS heap stayed flat: under many concurrent requests, short-lived request
 * objects outlive two scavenges and are promoted, so V8 grows its old space (19 → 79 MB in a 20 s read
 * load); after the load its used part falls back (to ~27 MB) but the committed pages stay, and Node never
 * tells V8 it is idle, so V8's memory reducer does not run. This does what an idle notification would:
 * when the event loop has been nearly idle for two check intervals and the committed heap grew by 16 MB since
 * the last trim, one full collection returns the empty pages to the system (~20–50 ms, only when idle, never
 * again until the heap has grown again).
 */
export function heapTrimCheck(deps: HeapTrimDeps): () => boolean {
  /** Once trimmed, the heap must grow past this again before the next collection. */
  let trimmedAt = 0;
  let idleChecks = 0;
  return () => {
    idleChecks = deps.utilisation() < IDLE_ELU ? idleChecks + 1 : 0;
    if (idleChecks < IDLE_CHECKS || deps.heap().total < trimmedAt) return false;
    deps.collect();
    trimmedAt = deps.heap().total + GROWTH_BYTES;
    return true;
  };
}

/** Starts the idle heap trim for this process; returns its stop. */
export function startHeapTrim(): () => void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
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
    // A compacting collection: a plain one leaves the old space's partly used pages committed (a soak ended
    // with 40 MB committed for 26 MB used after it); compaction moves the survivors together and returns the
    // rest. It costs more (tens of ms on this heap), which is why it runs only when the daemon is idle.
    collect: () => {
      v8.setFlagsFromString('--compact-on-every-full-gc');
      try {
        gc();
      } finally {
        v8.setFlagsFromString('--no-compact-on-every-full-gc');
      }
    },
  });
  const timer = setInterval(check, EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}

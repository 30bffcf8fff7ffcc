import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Event-loop budget checks for tests where the daemon runs in the test's own process, so a request that
 * pins its event loop shows up here. A loaded 2-core machine also preempts the process now and then, which
 * looks the same, so an attack runs up to `attempts` times and the best run counts: a real block shows in
 * every run, noise does not.
 */
// The daemon's budget is 50 ms per request. The bound doubles it because on a loaded 2-core machine
// (CI, or several test suites at once) even a quiet run sees 50–90 ms of preemption; every attack these
// tests make cost 250 ms to minutes before the fixes.
export const LOOP_BOUND_MS = 100;
export const HEALTH_BOUND_MS = 300;

export interface AttackCost<T> {
  result: T;
  tookMs: number;
  /** Longest event-loop delay seen while the attack ran. */
  loopMaxMs: number;
  /** Slowest /health answer while the attack ran. */
  healthMaxMs: number;
}

async function once<T>(baseUrl: string, attack: () => Promise<T>): Promise<AttackCost<T>> {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  const health: number[] = [];
  let stop = false;
  loop.enable();
  const probe = (async () => {
    while (!stop) {
      const t0 = performance.now();
      await (await fetch(`${baseUrl}/health`)).arrayBuffer();
      health.push(performance.now() - t0);
      await sleep(5);
    }
  })();
  await sleep(20);
  const started = performance.now();
  const result = await attack();
  const tookMs = performance.now() - started;
  await sleep(20);
  stop = true;
  await probe;
  loop.disable();
  return { result, tookMs, loopMaxMs: loop.max / 1e6, healthMaxMs: Math.max(...health) };
}

/** Runs `attack` while probing /health and the event-loop delay; the best of up to `attempts` runs. */
export async function measureAttack<T>(baseUrl: string, attack: () => Promise<T>, attempts = 7) {
  let best: AttackCost<T> | undefined;
  for (let i = 0; i < attempts; i++) {
    const run = await once(baseUrl, attack);
    if (!best || run.loopMaxMs < best.loopMaxMs) best = run;
    if (run.loopMaxMs < LOOP_BOUND_MS && run.healthMaxMs < HEALTH_BOUND_MS) return run;
  }
  return best as AttackCost<T>;
}

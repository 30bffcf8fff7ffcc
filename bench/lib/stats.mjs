/** Percentile summary of a list of millisecond samples. */
export function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const round = (n) => Math.round(n * 1000) / 1000;
  return {
    n: sorted.length,
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    min: round(sorted[0]),
    max: round(sorted[sorted.length - 1]),
  };
}

/** Runs `fn` `warmup` times unmeasured, then `n` times measured, sequentially. */
export async function measure(n, fn, warmup = Math.min(50, Math.ceil(n / 10))) {
  for (let i = 0; i < warmup; i++) await fn(i);
  const samples = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await fn(i);
    samples.push(performance.now() - start);
  }
  return summarize(samples);
}

/** Measures two operations alternately, `n` samples each, after a shared warm-up. */
export async function measurePair(n, fa, fb, warmup = 100) {
  for (let i = 0; i < warmup; i++) {
    await fa(i);
    await fb(i);
  }
  const a = [];
  const b = [];
  for (let i = 0; i < n; i++) {
    let start = performance.now();
    await fa(i);
    a.push(performance.now() - start);
    start = performance.now();
    await fb(i);
    b.push(performance.now() - start);
  }
  return { a: summarize(a), b: summarize(b) };
}

/** Measures several operations in turn, `n` samples each, the order rotating every round, after a warm-up. */
export async function measureEach(n, fns, warmup = 100) {
  for (let i = 0; i < warmup; i++) for (const f of fns) await f(i);
  const samples = fns.map(() => []);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < fns.length; j++) {
      const k = (i + j) % fns.length;
      const start = performance.now();
      await fns[k](i);
      samples[k].push(performance.now() - start);
    }
  }
  return samples.map(summarize);
}

// What bench/load.mjs reads from the daemon besides latency: its memory by part (from its own /metrics),
// its event-loop delay (prom-client's monitorEventLoopDelay histogram, reset at every scrape, so a scrape
// before and one after a run give that run's histogram), CPU of daemon and load generator, and — when the
// daemon runs with --trace-gc — its GC pauses. Together they tell event-loop stalls from queueing.
import { readFile } from 'node:fs/promises';

const MB = 1024 * 1024;
const round1 = (n) => Math.round(n * 10) / 10;

/** Parses a Prometheus text page into `name{labels}` → number. */
export async function scrape(url, headers) {
  const text = await (await fetch(`${url}/metrics`, { headers })).text();
  const values = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    values.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return values;
}

/** RSS of a process from /proc, in MB. */
export async function rssMb(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return round1(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024);
}

/** User + system CPU seconds a process has used (clock ticks of /proc/<pid>/stat, 100 per second). */
export async function cpuSeconds(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Nanoseconds the process's main thread (the event loop) has run, and has waited runnable on a CPU run
 * queue (/proc/<pid>/schedstat). The wait is the machine's share of the latency: time the loop was ready to
 * work but another process had the CPU.
 */
export async function schedstat(pid) {
  const [run, wait] = (await readFile(`/proc/${pid}/schedstat`, 'utf8')).split(' ').map(Number);
  return { run, wait };
}

/** The daemon's memory by part, MB: RSS, heap (total/used and per V8 space), external, array buffers. */
export async function memory(url, headers, pid) {
  const m = await scrape(url, headers);
  const mb = (k) => round1((m.get(k) ?? Number.NaN) / MB);
  const spaces = {};
  for (const [k, v] of m) {
    const s = /^nodejs_heap_space_size_(total|used)_bytes\{space="(\w+)"\}$/.exec(k);
    if (s) {
      spaces[s[2]] ??= {};
      spaces[s[2]][s[1]] = round1(v / MB);
    }
  }
  return {
    rss: await rssMb(pid),
    heapTotal: mb('nodejs_heap_size_total_bytes'),
    heapUsed: mb('nodejs_heap_size_used_bytes'),
    external: mb('nodejs_external_memory_bytes'),
    arrayBuffers: mb('disco_memory_array_buffers_bytes'),
    spaces,
  };
}

/** Event-loop delay (ms) since the previous scrape. */
export function loopDelay(m) {
  const ms = (k) => Math.round((m.get(k) ?? Number.NaN) * 1e5) / 100;
  return {
    p50: ms('nodejs_eventloop_lag_p50_seconds'),
    p99: ms('nodejs_eventloop_lag_p99_seconds'),
    max: ms('nodejs_eventloop_lag_max_seconds'),
  };
}

/**
 * Collects --trace-gc lines from the daemon's stdout: `[pid:addr]  1234 ms: Scavenge 40.1 (50.2) -> 30.0 (50.2)
 * MB, 1.23 / 0.00 ms …`, or --trace-gc-nvp lines (which also carry the bytes allocated, so a run's allocation
 * per request can be told). `since(mark)` summarises the pauses after a mark.
 */
export function gcTrace() {
  const events = [];
  let rest = '';
  return {
    feed(chunk) {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        const g =
          /\d+ ms: (Scavenge|Mark-Compact|Mark-sweep|Minor Mark-Compact)[^,]*?([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(([\d.]+)\) MB, (?:pooled: [\d.]+ MB, )?([\d.]+) \/ ([\d.]+) ms/.exec(
            line,
          );
        if (g) events.push({ kind: g[1], pauseMs: Number(g[6]), allocated: 0 });
        // --trace-gc-nvp: one name=value line per GC, with the bytes allocated since the previous one.
        const n = /pause=([\d.]+) .*?gc=(\w+) .*?allocated=(\d+)/.exec(line);
        if (n)
          events.push({
            kind: n[2] === 's' ? 'Scavenge' : 'Mark-Compact',
            pauseMs: Number(n[1]),
            allocated: Number(n[3]),
          });
      }
    },
    mark: () => events.length,
    since(mark) {
      const out = {};
      const allocated = events.slice(mark).reduce((sum, e) => sum + e.allocated, 0);
      if (allocated > 0) out.allocatedMb = round1(allocated / MB);
      for (const e of events.slice(mark)) {
        out[e.kind] ??= { count: 0, pauseMs: 0, maxMs: 0 };
        const k = out[e.kind];
        k.count += 1;
        k.pauseMs = round1(k.pauseMs + e.pauseMs);
        k.maxMs = Math.max(k.maxMs, e.pauseMs);
      }
      return out;
    },
  };
}

/** Wraps one load run: daemon CPU, generator CPU, event-loop delay and GC over exactly that run. */
export async function probed(ctx, runOnce) {
  await scrape(ctx.url, ctx.headers); // resets the loop-delay histogram
  const mark = ctx.gc.mark();
  const daemonCpu0 = await cpuSeconds(ctx.pid);
  const sched0 = await schedstat(ctx.pid);
  const selfCpu0 = process.cpuUsage();
  const started = performance.now();
  const r = await runOnce();
  const wall = (performance.now() - started) / 1000;
  const self = process.cpuUsage(selfCpu0);
  const daemonCpu = (await cpuSeconds(ctx.pid)) - daemonCpu0;
  const sched1 = await schedstat(ctx.pid);
  const clientCpu = r.clientCpuSeconds ?? (self.user + self.system) / 1e6;
  const m = await scrape(ctx.url, ctx.headers);
  return {
    result: r,
    probe: {
      daemonCpuPct: Math.round((daemonCpu / wall) * 100),
      clientCpuPct: Math.round((clientCpu / wall) * 100),
      // Share of the run's wall time the event loop thread ran, and waited for a CPU while runnable.
      loopThreadRunPct: Math.round((sched1.run - sched0.run) / 1e7 / wall),
      loopThreadRunQueuePct: Math.round((sched1.wait - sched0.wait) / 1e7 / wall),
      loopDelayMs: loopDelay(m),
      gc: ctx.gc.since(mark),
    },
  };
}

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
    smaps: await smapsBreakdown(pid),
    threads: await threadNames(pid),
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

const KB_MB = 1024;
/**
 * The daemon's RSS by kind of mapping (/proc/<pid>/smaps), MB. Anonymous mappings are grouped into their
 * reservations (a read-write part and the PROT_NONE rest that follows it) and told apart by reservation:
 * glibc's per-thread malloc arenas reserve 64 MiB aligned to 64 MiB, thread stacks 8 MiB (+ a guard page);
 * the rest of the anonymous memory is V8's heap and code pages and large mmap'd malloc blocks.
 */
export async function smapsBreakdown(pid) {
  const text = await readFile(`/proc/${pid}/smaps`, 'utf8');
  const maps = [];
  let cur;
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      cur = { start: BigInt(`0x${head[1]}`), end: BigInt(`0x${head[2]}`), perms: head[3], name: head[4], rss: 0 };
      maps.push(cur);
    } else if (cur && line.startsWith('Rss:')) cur.rss = Number(/(\d+)/.exec(line)[1]);
  }
  const parts = {
    v8Pages: 0,
    otherAnon: 0,
    brkHeap: 0,
    mallocArenas: 0,
    threadStacks: 0,
    nodeBinary: 0,
    sharedLibs: 0,
    sqliteFiles: 0,
    otherFiles: 0,
  };
  const arenas = [];
  for (let i = 0; i < maps.length; i++) {
    const m = maps[i];
    if (m.name === '[heap]') parts.brkHeap += m.rss;
    else if (m.name === '' || m.name.startsWith('[anon')) {
      // A reservation: this mapping and the anonymous ones directly after it (PROT_NONE tails, guards).
      let end = m.end;
      let rss = m.rss;
      let j = i + 1;
      while (j < maps.length && maps[j].start === end && maps[j].name === '' && maps[j].perms.startsWith('---')) {
        end = maps[j].end;
        rss += maps[j].rss;
        j++;
      }
      const size = Number(end - m.start) / 1024;
      // A guard page before a stack is its own mapping (---p, 4 KiB) followed by the 8 MiB rw stack.
      if (m.perms.startsWith('---') && size === 4) continue;
      const aligned = m.start % BigInt(64 * 1024 * 1024) === 0n;
      if (size === 65536 && aligned) {
        parts.mallocArenas += rss;
        arenas.push(Math.round((rss / KB_MB) * 10) / 10);
      } else if (size === 8192 || size === 8196) parts.threadStacks += rss;
      // V8 allocates its heap pages (256 KiB, large objects more) at 256 KiB-aligned random addresses.
      else if (m.start % 0x40000n === 0n && size % 256 === 0 && m.perms === 'rw-p') parts.v8Pages += rss;
      else parts.otherAnon += rss;
      i = j - 1;
    } else if (m.name.startsWith('['))
      parts.otherAnon += m.rss; // [stack], [vvar], [vdso]
    else if (m.name === process.execPath || /\/node$/.test(m.name)) parts.nodeBinary += m.rss;
    else if (/\.so(\.|$)|\.node$/.test(m.name)) parts.sharedLibs += m.rss;
    else if (/\.(db|sqlite)(-shm|-wal)?$|-shm$/.test(m.name)) parts.sqliteFiles += m.rss;
    else parts.otherFiles += m.rss;
  }
  const out = {};
  for (const [k, v] of Object.entries(parts)) out[k] = round1(v / KB_MB);
  out.arenaCount = arenas.length;
  out.arenasMb = arenas;
  return out;
}

/** The daemon's threads by name (/proc/<pid>/task/<tid>/comm): { name: count }. */
export async function threadNames(pid) {
  const { readdir } = await import('node:fs/promises');
  const names = {};
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    const name = (await readFile(`/proc/${pid}/task/${tid}/comm`, 'utf8').catch(() => '?')).trim();
    names[name] = (names[name] ?? 0) + 1;
  }
  return names;
}

/**
 * glibc's own account of the daemon's malloc heaps (malloc_info(3), called in the daemon through gdb, which
 * stops it for about a second): per arena the bytes it holds from the system and the free bytes among them,
 * MB. With `trim`, malloc_trim(0) then returns free pages and the RSS after it tells how much was free.
 */
export async function mallocInfo(pid, { trim = false } = {}) {
  const { execFileSync } = await import('node:child_process');
  const file = `/tmp/disco-malloc-info-${pid}-${Date.now()}.xml`;
  const cmds = [`call (void*)fopen("${file}","w")`, 'call (int)malloc_info(0,$1)', 'call (int)fclose($1)'];
  if (trim) cmds.push('call (int)malloc_trim(0)');
  execFileSync('gdb', ['-p', String(pid), '-batch', '-nx', ...cmds.flatMap((c) => ['-ex', c])], {
    stdio: 'ignore',
    timeout: 60_000,
  });
  const xml = await readFile(file, 'utf8');
  const { rm } = await import('node:fs/promises');
  await rm(file, { force: true });
  const heaps = [];
  for (const h of xml.matchAll(/<heap nr="(\d+)">([\s\S]*?)<\/heap>/g)) {
    const free = [...h[2].matchAll(/<total type="(?:fast|rest)" count="\d+" size="(\d+)"/g)].reduce(
      (s, m) => s + Number(m[1]),
      0,
    );
    const system = Number(/<system type="current" size="(\d+)"/.exec(h[2])?.[1] ?? 0);
    heaps.push({
      arena: Number(h[1]),
      systemMb: round1(system / MB),
      freeMb: round1(free / MB),
      inUseMb: round1((system - free) / MB),
    });
  }
  const tail = xml.slice(xml.lastIndexOf('</heap>'));
  const mmapBytes = Number(/<total type="mmap" count="\d+" size="(\d+)"/.exec(tail)?.[1] ?? 0);
  return { heaps, mmapMb: round1(mmapBytes / MB), ...(trim ? { rssAfterTrim: await rssMb(pid) } : {}) };
}

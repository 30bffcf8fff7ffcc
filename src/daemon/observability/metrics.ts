import { createRequire } from 'node:module';
import type { NextFunction, Request, Response } from 'express';
import type * as Prom from 'prom-client';
import type { RefusalCode } from '../egress/policy.js';
import type { EgressObserver, EgressRecord } from '../egress/record.js';
import type { ErrorCode } from '../errors.js';
import type { OpObserver, Transport } from '../ops/observe.js';
import { OpHistogram } from './op-histogram.js';

/** What the gauges read at scrape time. Each is cheap (in-memory, or one grouped SQLite query). */
export interface MetricsSources {
  containersByStatus: () => Record<string, number>;
  poolAvailable: () => Record<string, number>;
  runningProcesses: () => number;
  openTerminals: () => number;
  /** Live container sandboxes and the daemon's bound on them (0: none); absent without sandboxes. */
  liveSandboxes?: () => { live: number; max: number };
  /** Present only when Redis is configured: 1 when it answered its last ping. */
  redisUp?: () => Promise<boolean>;
}

/** Seconds; from a cached file read (~0.2 ms) to a long `exec` or `git clone`. */
const OP_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

type PromClient = typeof Prom;
let promClient: PromClient | undefined;

/**
 * prom-client, loaded on first use. Perf: it is a CommonJS package of its own module graph (tens of ms of the
 * daemon's start) and nothing on the way to listening needs it; see `Metrics` for what waits for it.
 */
function prom(): PromClient {
  promClient ??= createRequire(import.meta.url)('prom-client') as PromClient;
  return promClient;
}

/** The prom-client side of `Metrics`: one registry and its instruments, made together. */
class Instruments {
  readonly registry: Prom.Registry;
  readonly opErrors: Prom.Counter<'op' | 'transport' | 'code'>;
  readonly httpErrors: Prom.Counter<'code'>;
  readonly jobRuns: Prom.Counter<'job' | 'outcome'>;
  readonly uncaught: Prom.Counter<'kind'>;
  readonly egressConnections: Prom.Counter<'protocol' | 'outcome' | 'code'>;
  readonly egressBytes: Prom.Counter<'direction'>;
  readonly egressDuration: Prom.Histogram<'protocol'>;
  readonly egressThrottles: Prom.Counter<'code'>;

  constructor(sources: readonly MetricsSources[], opDuration: OpHistogram) {
    const { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } = prom();
    this.registry = new Registry();
    const registers = [this.registry];
    opDuration.register(this.registry);
    this.opErrors = new Counter({
      name: 'disco_op_errors_total',
      help: 'Ops that ended in an error, by op, transport and error code.',
      labelNames: ['op', 'transport', 'code'] as const,
      registers,
    });
    this.httpErrors = new Counter({
      name: 'disco_http_errors_total',
      help: 'HTTP responses carrying an error body, by error code (includes unauthorized and not_found).',
      labelNames: ['code'] as const,
      registers,
    });
    this.jobRuns = new Counter({
      name: 'disco_job_runs_total',
      help: 'Background job runs, by job and outcome (ok, error).',
      labelNames: ['job', 'outcome'] as const,
      registers,
    });
    this.uncaught = new Counter({
      name: 'disco_uncaught_errors_total',
      help: 'Errors thrown in callbacks that nothing caught, by kind (exception, rejection); the daemon kept serving.',
      labelNames: ['kind'] as const,
      registers,
    });
    this.egressConnections = new Counter({
      name: 'disco_egress_connections_total',
      help: 'Egress proxy connections (plain HTTP: requests), by protocol (connect, http, socks5), outcome (ok, refused, error) and code (refusal reason or connection error).',
      labelNames: ['protocol', 'outcome', 'code'] as const,
      registers,
    });
    this.egressBytes = new Counter({
      name: 'disco_egress_bytes_total',
      help: 'Bytes through the egress proxy, by direction (up: to the outside, down: to containers).',
      labelNames: ['direction'] as const,
      registers,
    });
    this.egressDuration = new Histogram({
      name: 'disco_egress_connection_seconds',
      help: 'How long egress connections stayed open, by protocol.',
      labelNames: ['protocol'] as const,
      buckets: [0.01, 0.1, 1, 10, 60, 600, 3600],
      registers,
    });
    this.egressThrottles = new Counter({
      name: 'disco_egress_throttled_total',
      help: 'Egress attempts refused by the per-container limits, by code (rate_limited, too_many_connections).',
      labelNames: ['code'] as const,
      registers,
    });
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'disco_memory_array_buffers_bytes',
      help: 'Bytes of ArrayBuffers and Buffers (part of nodejs_external_memory_bytes): I/O buffers held by JS.',
      registers,
      collect() {
        this.set(process.memoryUsage().arrayBuffers);
      },
    });
    for (const s of sources) this.bind(s);
  }

  /** Registers the state gauges; called once the services they read exist. */
  bind(sources: MetricsSources): void {
    const { Gauge } = prom();
    const registers = [this.registry];
    new Gauge({
      name: 'disco_containers',
      help: 'Containers by status (ready, stopped, missing, deleting).',
      labelNames: ['status'] as const,
      registers,
      collect() {
        this.reset();
        const counts = { ready: 0, stopped: 0, ...sources.containersByStatus() };
        for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
      },
    });
    new Gauge({
      name: 'disco_pool_available',
      help: 'Prepared workspaces ready in the warm pool, by template.',
      labelNames: ['template'] as const,
      registers,
      collect() {
        for (const [template, n] of Object.entries(sources.poolAvailable())) this.set({ template }, n);
      },
    });
    new Gauge({
      name: 'disco_processes_running',
      help: 'Container processes this daemon is running.',
      registers,
      collect() {
        this.set(sources.runningProcesses());
      },
    });
    const live = sources.liveSandboxes;
    if (live) {
      new Gauge({
        name: 'disco_sandboxes_live',
        help: 'Live container sandboxes (a bubblewrap and its supervisor each) this daemon runs.',
        registers,
        collect() {
          this.set(live().live);
        },
      });
      new Gauge({
        name: 'disco_sandboxes_max',
        help: 'The most live container sandboxes this daemon runs at once (DISCO_MAX_LIVE_SANDBOXES; 0: no limit).',
        registers,
        collect() {
          this.set(live().max);
        },
      });
    }
    new Gauge({
      name: 'disco_terminals_open',
      help: 'Interactive terminals running.',
      registers,
      collect() {
        this.set(sources.openTerminals());
      },
    });
    const { redisUp } = sources;
    if (redisUp) {
      new Gauge({
        name: 'disco_redis_up',
        help: '1 when Redis answered a ping at scrape time, else 0.',
        registers,
        async collect() {
          this.set((await redisUp().catch(() => false)) ? 1 : 0);
        },
      });
    }
  }
}

/** Calls made before the instruments exist, replayed when they are made (bounded: past it, they are made). */
const MAX_PENDING = 10_000;

/**
 * Prometheus metrics of one daemon, on its own registry (prom-client's global one would mix daemons
 * started in one process, as tests do). prom-client: the de-facto Node client, with process metrics built in.
 * Perf: the instruments (and prom-client) are made on first need — `warm()` (the daemon calls it a moment
 * after it listens), reading `registry` (a scrape), or more calls than MAX_PENDING — and what is counted
 * before then is kept and replayed, so every count is the same; only the process metrics (GC, event-loop
 * lag) start from then rather than from the first line of the start.
 */
export class Metrics implements OpObserver, EgressObserver {
  private made: Instruments | undefined;
  /** Counted without prom-client (see OpHistogram), so from the first op on, with nothing to replay. */
  private readonly opDuration = new OpHistogram(
    'disco_op_duration_seconds',
    'Time to run one op, by op, transport (rest, mcp) and outcome (ok, error).',
    OP_BUCKETS,
  );
  private readonly sources: MetricsSources[] = [];
  private pending: Array<(m: Instruments) => void> = [];

  constructor(sources?: MetricsSources) {
    if (sources) this.sources.push(sources);
  }

  /** The registry (makes the instruments if they are not yet). */
  get registry(): Prom.Registry {
    return this.instruments().registry;
  }

  /** Loads prom-client and makes the instruments now. */
  warm(): void {
    this.instruments();
  }

  private instruments(): Instruments {
    if (this.made) return this.made;
    const made = new Instruments(this.sources, this.opDuration);
    this.made = made;
    const pending = this.pending;
    this.pending = [];
    for (const apply of pending) apply(made);
    return made;
  }

  private record(apply: (m: Instruments) => void): void {
    if (this.made) apply(this.made);
    else if (this.pending.length < MAX_PENDING) this.pending.push(apply);
    else apply(this.instruments());
  }

  /** Registers the state gauges; called once the services they read exist. */
  bind(sources: MetricsSources): void {
    if (this.made) this.made.bind(sources);
    else this.sources.push(sources);
  }

  opDone(op: string, transport: Transport, seconds: number, errorCode: ErrorCode | undefined): void {
    // Perf: every op ends here.
    this.opDuration.observe(op, transport, errorCode ? 'error' : 'ok', seconds);
    if (errorCode) this.record((m) => m.opErrors.inc({ op, transport, code: errorCode }));
  }

  uncaughtError(kind: 'exception' | 'rejection'): void {
    this.record((m) => m.uncaught.inc({ kind }));
  }

  egressDone(r: EgressRecord): void {
    this.record((m) => {
      m.egressConnections.inc({ protocol: r.protocol, outcome: r.outcome, code: r.code ?? '' });
      m.egressBytes.inc({ direction: 'up' }, r.bytesUp);
      m.egressBytes.inc({ direction: 'down' }, r.bytesDown);
      if (r.outcome === 'ok') m.egressDuration.observe({ protocol: r.protocol }, r.durationMs / 1000);
    });
  }

  egressThrottled(_containerId: string, code: RefusalCode): void {
    this.record((m) => m.egressThrottles.inc({ code }));
  }

  jobDone(job: string, ok: boolean): void {
    this.record((m) => m.jobRuns.inc({ job, outcome: ok ? 'ok' : 'error' }));
  }

  /** Counts a response that ended with an error code (set by the error handler in res.locals). */
  httpError(code: string): void {
    this.record((m) => m.httpErrors.inc({ code }));
  }

  /** The `/metrics` handler (Prometheus text format). */
  handler() {
    return async (_req: Request, res: Response, next: NextFunction) => {
      try {
        const registry = this.registry;
        const body = await registry.metrics();
        res.setHeader('Content-Type', registry.contentType);
        res.setHeader('Cache-Control', 'no-store');
        res.end(body);
      } catch (err) {
        next(err);
      }
    };
  }
}

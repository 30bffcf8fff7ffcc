import type * as Prom from 'prom-client';
import type { Transport } from '../ops/observe.js';

type Outcome = 'ok' | 'error';

interface Series {
  labels: { op: string; transport: Transport; outcome: Outcome };
  /** Observations per bucket (not cumulative); past the last bound only `count` moves (the +Inf bucket). */
  counts: Float64Array;
  sum: number;
  count: number;
}

/** One sample as prom-client's registry formats it: its own labels (`le`) first, then the series' labels. */
interface Sample {
  metricName: string;
  labels: Record<string, string | number>;
  sharedLabels: Record<string, string>;
  value: number;
}

/**
 * The op-duration histogram (`disco_op_duration_seconds`), counted here and formatted by prom-client's
 * registry at scrape time, exactly as its own Histogram would be (same samples, labels and order).
 * Perf: every op ends in `observe`; prom-client's validates the label object and hashes it (sorting its
 * keys into a string) on each call. Here the series is found through two map lookups and an index, and
 * nothing is allocated once a series exists.
 */
export class OpHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Map<Transport, [Series | undefined, Series | undefined]>>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: readonly number[],
  ) {}

  observe(op: string, transport: Transport, outcome: Outcome, seconds: number): void {
    if (!Number.isFinite(seconds)) return;
    let byTransport = this.series.get(op);
    if (!byTransport) {
      byTransport = new Map();
      this.series.set(op, byTransport);
    }
    let pair = byTransport.get(transport);
    if (!pair) {
      pair = [undefined, undefined];
      byTransport.set(transport, pair);
    }
    const at = outcome === 'ok' ? 0 : 1;
    let s = pair[at];
    if (!s) {
      s = { labels: { op, transport, outcome }, counts: new Float64Array(this.buckets.length), sum: 0, count: 0 };
      pair[at] = s;
    }
    const { buckets } = this;
    for (let i = 0; i < buckets.length; i++) {
      if (seconds <= (buckets[i] as number)) {
        (s.counts[i] as number) += 1;
        break;
      }
    }
    s.sum += seconds;
    s.count += 1;
  }

  /** The samples prom-client's Histogram gives: cumulative buckets by `le`, then +Inf, sum and count. */
  getForPromString(): { name: string; help: string; type: 'histogram'; values: Sample[]; aggregator: 'sum' } {
    const values: Sample[] = [];
    const bucket = `${this.name}_bucket`;
    for (const byTransport of this.series.values()) {
      for (const pair of byTransport.values()) {
        for (const s of pair) {
          if (!s) continue;
          const sharedLabels = s.labels;
          let acc = 0;
          this.buckets.forEach((le, i) => {
            acc += s.counts[i] as number;
            values.push({ metricName: bucket, labels: { le }, sharedLabels, value: acc });
          });
          values.push({ metricName: bucket, labels: { le: '+Inf' }, sharedLabels, value: s.count });
          values.push({ metricName: `${this.name}_sum`, labels: {}, sharedLabels, value: s.sum });
          values.push({ metricName: `${this.name}_count`, labels: {}, sharedLabels, value: s.count });
        }
      }
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** The same samples for JSON (prom-client's `getMetricsAsJSON`): each sample's labels in one object. */
  get() {
    const data = this.getForPromString();
    return {
      ...data,
      values: data.values.map(({ sharedLabels, labels, ...rest }) => ({
        ...rest,
        labels: { ...labels, ...sharedLabels },
      })),
    };
  }

  reset(): void {
    this.series.clear();
  }

  /** Adds this histogram to `registry`: its metrics text is made by the registry, like any other metric's. */
  register(registry: Prom.Registry): void {
    // prom-client's registry reads a metric through `name`, `help`, `type` and `get()` only (and `reset()`
    // on resetMetrics); its type names its own classes, hence the cast.
    registry.registerMetric(this as unknown as Prom.Metric);
  }
}

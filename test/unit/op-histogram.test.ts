import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { OpHistogram } from '../../src/daemon/observability/op-histogram.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const OBSERVED: Array<[string, 'rest' | 'mcp', 'ok' | 'error', number]> = [
  ['file_read', 'rest', 'ok', 0.0004],
  ['file_read', 'rest', 'ok', 0.003],
  ['file_read', 'mcp', 'ok', 0.2],
  ['file_read', 'rest', 'error', 0.001],
  ['exec', 'rest', 'ok', 5],
  ['exec', 'rest', 'ok', Number.NaN],
];

async function promText(): Promise<string> {
  const registry = new Registry();
  const h = new Histogram({
    name: 'x_seconds',
    help: 'help',
    labelNames: ['op', 'transport', 'outcome'] as const,
    buckets: BUCKETS,
    registers: [registry],
  });
  for (const [op, transport, outcome, s] of OBSERVED) if (Number.isFinite(s)) h.observe({ op, transport, outcome }, s);
  return registry.metrics();
}

describe('OpHistogram', () => {
  it('exposes the same Prometheus text as prom-client’s Histogram for the same observations', async () => {
    const registry = new Registry();
    const mine = new OpHistogram('x_seconds', 'help', BUCKETS);
    mine.register(registry);
    for (const [op, transport, outcome, s] of OBSERVED) mine.observe(op, transport, outcome, s);
    const sortLines = (t: string) => t.split('\n').sort();
    expect(sortLines(await registry.metrics())).toEqual(sortLines(await promText()));
  });

  it('gives labelled samples as JSON and starts over on reset', async () => {
    const registry = new Registry();
    const mine = new OpHistogram('x_seconds', 'help', BUCKETS);
    mine.register(registry);
    mine.observe('file_read', 'rest', 'ok', 0.5);
    const [json] = await registry.getMetricsAsJSON();
    expect(json?.values).toContainEqual({
      metricName: 'x_seconds_count',
      labels: { op: 'file_read', transport: 'rest', outcome: 'ok' },
      value: 1,
    });
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain('file_read');
  });
});

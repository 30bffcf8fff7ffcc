import { describe, expect, it } from 'vitest';
import { loadConfig, SETTINGS } from '../../src/daemon/config.js';

/** How a doc may write a default value. */
function spellings(value: unknown): string[] {
  if (typeof value === 'number') {
    const out = [String(value), value.toLocaleString('en-US').replaceAll(',', '_')];
    if (value >= 1024 * 1024 && value % (1024 * 1024) === 0) out.push(`${value / (1024 * 1024)} MiB`);
    return out;
  }
  if (typeof value === 'boolean') return [`\`${value}\``, value ? 'on' : 'off'];
  return [String(value)];
}

describe('the settings table is the one source of each setting', () => {
  const entries = Object.entries(SETTINGS) as Array<[string, { env: string; doc: string; default?: unknown }]>;

  it.each(
    entries.filter(([, s]) => s.default !== undefined && typeof s.default !== 'function' && !Array.isArray(s.default)),
  )('%s: its doc states the default the table gives', (_key, s) => {
    expect(s.doc).toMatch(/default/i);
    expect(
      spellings(s.default).some((w) => s.doc.includes(w)),
      `${s.env}: ${s.doc}`,
    ).toBe(true);
  });

  it('loads every setting of the table, with its default when unset', () => {
    const config = loadConfig({}) as unknown as Record<string, unknown>;
    expect(Object.keys(config).sort()).toEqual(Object.keys(SETTINGS).sort());
    for (const [key, s] of entries)
      if (s.default !== undefined && typeof s.default !== 'function') expect(config[key]).toEqual(s.default);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** The floor the README and package.json promise. */
const FLOOR = '20.0.0';

type Version = [number, number, number];
const parse = (v: string): Version => {
  const [a = 0, b = 0, c = 0] = v.replace(/^[v=]/, '').split('.').map(Number);
  return [a, b, c];
};
const cmp = (x: Version, y: Version) => x[0] - y[0] || x[1] - y[1] || x[2] - y[2];

/** The range forms engines fields use here: `>=X`, `^X`, `X` (a major), `X.Y.Z`, joined by `||` or spaces. */
function satisfies(version: string, range: string): boolean {
  const v = parse(version);
  return range
    .replace(/(>=|<=|>|<|\^|~|=)\s+/g, '$1')
    .split('||')
    .some((alt) =>
      alt
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .every((c) => {
          if (c === '*' || c === 'x') return true;
          const m = /^(>=|>|<=|<|\^|~|=)?\s*v?(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?$/.exec(c);
          if (!m) throw new Error(`engines range '${range}' has a form this test does not read: extend it`);
          const [, op = '', maj, min, pat] = m;
          const w: Version = [Number(maj), Number(min ?? 0) || 0, Number(pat ?? 0) || 0];
          const d = cmp(v, w);
          if (op === '>=') return d >= 0;
          if (op === '>') return d > 0;
          if (op === '<=') return d <= 0;
          if (op === '<') return d < 0;
          if (op === '^') return v[0] === w[0] && d >= 0;
          if (op === '~') return v[0] === w[0] && v[1] === w[1] && d >= 0;
          if (min === undefined) return v[0] === w[0];
          return d === 0;
        }),
    );
}

describe('engines', () => {
  it('every package the daemon and CLI run on accepts the Node the README promises', () => {
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
      packages: Record<string, { version?: string; dev?: boolean; optional?: boolean; engines?: { node?: string } }>;
    };
    const refused = Object.entries(lock.packages)
      .filter(([name, p]) => name !== '' && !p.dev && p.engines?.node && !satisfies(FLOOR, p.engines.node))
      .map(([name, p]) => `${name.replace(/^node_modules\//, '')}@${p.version} wants node ${p.engines?.node}`);
    expect(refused).toEqual([]);
  });

  it('reads the range forms it meets', () => {
    expect(satisfies('20.0.0', '>=20')).toBe(true);
    expect(satisfies('20.0.0', '^20.19.0 || >=22.12.0')).toBe(false);
    expect(satisfies('20.20.2', '^20.19.0 || >=22.12.0')).toBe(true);
    expect(satisfies('20.0.0', '18 || 20 || >=22')).toBe(true);
    expect(satisfies('20.0.0', '>=22.12.0')).toBe(false);
    expect(satisfies('20.5.0', '>= 16')).toBe(true);
  });
});

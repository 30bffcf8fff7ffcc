import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** The floor the README and package.json promise. */
const FLOOR = '20.0.0';
/** The floor for developing and testing: vite, under vitest, wants ^20.19. */
const DEV_FLOOR = '20.19.0';

/**
 * Test-only packages that want a newer Node, each with why no version for Node 20 will do (npm ci warns
 * about these, and only these). The MCP Inspector's releases without an engines limit (0.15 and older) have
 * no `--header` in their CLI, which `test/mcp/inspector.test.ts` needs; every later one wants Node 22.
 */
const DEV_NEEDS_NODE_22: Record<string, string> = {
  '@modelcontextprotocol/inspector': 'no release for Node 20 has the CLI test/mcp/inspector.test.ts uses',
  '@modelcontextprotocol/inspector/node_modules/commander': "the Inspector's own copy",
  '@modelcontextprotocol/inspector/node_modules/undici': "the Inspector's own copy",
};

type LockPackage = { version?: string; dev?: boolean; optional?: boolean; engines?: { node?: string } };
const lockPackages = () =>
  Object.entries(
    (JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, LockPackage> }).packages,
  )
    .filter(([name]) => name !== '')
    .map(([name, p]) => [name.replace(/^node_modules\//, ''), p] as const);

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
    const refused = lockPackages()
      .filter(([, p]) => !p.dev && p.engines?.node && !satisfies(FLOOR, p.engines.node))
      .map(([name, p]) => `${name}@${p.version} wants node ${p.engines?.node}`);
    expect(refused).toEqual([]);
  });

  it('every test-only package accepts Node 20 too, but the listed ones (so npm ci warns about those alone)', () => {
    const refused = lockPackages()
      .filter(([, p]) => p.dev && p.engines?.node && !satisfies(DEV_FLOOR, p.engines.node))
      .map(([name]) => name);
    expect(refused.sort()).toEqual(Object.keys(DEV_NEEDS_NODE_22).sort());
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

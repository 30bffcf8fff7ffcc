import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { contractSnapshots } from '../../src/daemon/contract-snapshots.js';

describe('contract snapshots (npm run gen:snapshots after a deliberate change, then review the diff)', () => {
  it.each(Object.entries(contractSnapshots()))('%s matches the registry', (file, value) => {
    const committed = JSON.parse(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8'));
    expect(JSON.parse(JSON.stringify(value))).toEqual(committed);
  });
});

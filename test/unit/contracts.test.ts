import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Contract } from '../../src/contracts/contract.js';
import { LANGUAGES as CONTRACT_LANGUAGES, TEMPLATE_NAMES } from '../../src/contracts/vocabulary.js';
import { TEMPLATES } from '../../src/daemon/containers/templates.js';
import { OPS } from '../../src/daemon/ops/index.js';
import type { Op } from '../../src/daemon/ops/op.js';
import { LANGUAGES } from '../../src/daemon/rag/languages.js';

const dir = fileURLToPath(new URL('../../src/contracts/', import.meta.url));

/** Every `defineContract` value exported by src/contracts, by op name. */
async function contracts(): Promise<Map<string, Contract>> {
  const out = new Map<string, Contract>();
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const mod = (await import(pathToFileURL(path.join(dir, f)).href)) as Record<string, unknown>;
    for (const v of Object.values(mod)) {
      if (v && typeof v === 'object' && 'name' in v && 'input' in v && 'output' in v && 'scope' in v)
        out.set((v as Contract).name, v as Contract);
    }
  }
  return out;
}

describe('op contracts (src/contracts)', () => {
  it('every op of the registry is its contract plus a handler, and every contract is in the registry', async () => {
    const byName = await contracts();
    const ops = OPS as unknown as readonly Op[];
    expect([...byName.keys()].sort()).toEqual(ops.map((o) => o.name).sort());
    for (const op of ops) {
      const c = byName.get(op.name) as Contract;
      for (const [key, value] of Object.entries(c)) expect(op[key as keyof Op], `${op.name}.${key}`).toBe(value);
      expect(typeof op.run).toBe('function');
    }
  });

  it('the closed lists stated for contracts match what the daemon acts on', () => {
    expect([...TEMPLATE_NAMES].sort()).toEqual(Object.keys(TEMPLATES).sort());
    expect(CONTRACT_LANGUAGES).toEqual(LANGUAGES);
  });
});

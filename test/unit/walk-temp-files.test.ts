import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { walkWorkspace } from '../../src/daemon/workspace/walk.js';
import { withWorkspace } from '../../src/daemon/workspace/workspace-dir.js';
import { isTempName, tempName } from '../../src/shared/atomic-write.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'disco-walk-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('walking a workspace', () => {
  it("skips Disco's own writes in flight, and nothing else of the kind", async () => {
    const inFlight = tempName('written-inside.js');
    expect(isTempName(inFlight)).toBe(true);
    await mkdir(path.join(root, 'src'));
    for (const f of ['written-inside.js', inFlight, 'src/.notes.disco-tmp', `src/${tempName('a.ts')}`, 'src/a.ts'])
      await writeFile(path.join(root, f), 'x');
    const seen = await withWorkspace(root, async (ws) => {
      const out: string[] = [];
      for await (const e of walkWorkspace(ws, '.', { maxDepth: 8, gitignore: false })) out.push(e.rel);
      return out;
    });
    expect(seen.sort()).toEqual(['src', 'src/.notes.disco-tmp', 'src/a.ts', 'written-inside.js']);
  });
});

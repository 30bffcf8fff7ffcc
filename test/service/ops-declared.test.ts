import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpHarness, opHarness } from '../helpers/ops.js';

// Facts declared on ops act through ops/invoke.ts, whatever the op: here `changesWorkspace`, which makes any
// op that may change files (exec and git included, not only the file ops) refresh the container's index.

let h: OpHarness;

beforeAll(async () => {
  h = await opHarness({ DISCO_POOL_SIZE: '0' });
  await h.call('container_create', { name: 'idx' });
  await h.call('file_write', {
    container: 'idx',
    path: 'src/a.ts',
    content: 'export function alpha() {\n  return 1;\n}\n',
  });
});
afterAll(() => h.close());

async function filesIndexed(want: number): Promise<number> {
  let files = -1;
  for (let i = 0; i < 200 && files !== want; i++) {
    const s = await h.call('rag_index', { container: 'idx', action: 'status' });
    files = s.state === 'indexing' ? -1 : s.files;
    if (files !== want) await new Promise((r) => setTimeout(r, 50));
  }
  return files;
}

describe('declared facts', () => {
  it('refreshes the index after a command changed files (exec declares changesWorkspace)', async () => {
    await h.call('rag_index', { container: 'idx', wait: true });
    expect(await filesIndexed(1)).toBe(1);
    const run = await h.call('exec', {
      container: 'idx',
      command: 'printf "export function betaGamma() {}\\n" > src/b.ts',
      shell: true,
    });
    expect(run.exitCode).toBe(0);
    expect(await filesIndexed(2)).toBe(2);
    const found = await h.call('rag_search', { container: 'idx', query: 'betaGamma' });
    expect(found.results.some((r) => r.path === 'src/b.ts')).toBe(true);
  });
});

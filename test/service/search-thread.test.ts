import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/daemon/log.js';
import { SearchThread } from '../../src/daemon/rag/search-thread.js';
import { startTestDaemon, type TestDaemon, tempDir } from '../helpers/daemon.js';

describe('code search runs in its own thread', () => {
  let t: TestDaemon;
  let id: string;

  beforeAll(async () => {
    t = await startTestDaemon();
    id = (await t.json('POST', '/api/v1/containers', { name: 'searched' })).body.id;
    for (let i = 0; i < 40; i++) {
      await t.json('PUT', `/api/v1/containers/${id}/files/content`, {
        path: `src/m${i}.ts`,
        content: `/** Parses the ${i}th token stream. */\nexport function parseTokens${i}(input: string): string[] {\n  return input.split(' ');\n}\n`,
      });
    }
    expect((await t.json('POST', '/api/v1/rag/index', { container: id, wait: true })).body.state).toBe('ready');
  }, 60_000);
  afterAll(() => t.stop());

  it('answers searches made at once like searches made one by one', async () => {
    const queries = Array.from({ length: 12 }, (_, i) => `parse token stream ${i}`);
    const one = [];
    for (const q of queries) one.push(await t.daemon.services.rag.searchIndex(id, q, { k: 5, mode: 'hybrid' }));
    const all = await Promise.all(
      queries.map((q) => t.daemon.services.rag.searchIndex(id, q, { k: 5, mode: 'hybrid' })),
    );
    const ids = (r: { results: Array<{ chunkId: number }> }) => r.results.map((h) => h.chunkId);
    expect(all.map(ids)).toEqual(one.map(ids));
    expect(one[3]?.results.length).toBeGreaterThan(0);
  });

  it("keeps the search's typed errors (no index yet)", async () => {
    const other = (await t.json('POST', '/api/v1/containers', { name: 'unindexed' })).body.id;
    const r = await t.json('POST', '/api/v1/rag/search', { container: other, query: 'x' });
    expect(r.status).toBe(404);
    expect(r.body.error).toMatchObject({ code: 'not_found', details: { missing: 'index' } });
  });

  it('fails its searches with unavailable, never hangs, when the thread cannot run', async () => {
    const dir = await tempDir();
    const thread = new SearchThread(
      { dbFile: path.join(dir, 'missing', 'disco.db'), embedder: { kind: 'hashed', dimension: 64 } },
      createLogger('silent'),
    );
    await expect(thread.search(undefined, 'x', { k: 5, mode: 'bm25' })).rejects.toMatchObject({ code: 'unavailable' });
    await expect(thread.search(undefined, 'x', { k: 5, mode: 'bm25' })).rejects.toMatchObject({ code: 'unavailable' });
    await thread.close();
    await expect(thread.search(undefined, 'x', { k: 5, mode: 'bm25' })).rejects.toMatchObject({ code: 'unavailable' });
  });
});

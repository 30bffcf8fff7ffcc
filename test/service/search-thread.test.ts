import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_FILE } from '../../src/daemon/core.js';
import { RagRepo } from '../../src/daemon/db/rag-repo.js';
import { RagSearchRepo } from '../../src/daemon/db/rag-search-repo.js';
import { createLogger } from '../../src/daemon/log.js';
import { createEmbedder, type EmbedderSpec } from '../../src/daemon/rag/embedder.js';
import { SearchThread } from '../../src/daemon/rag/search-thread.js';
import { embedderSpec } from '../../src/daemon/rag/settings.js';
import { localVectorHalf } from '../../src/daemon/rag/vector-half.js';
import { threadedVectorHalf } from '../../src/daemon/rag/vector-thread.js';
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

  it("runs a search's vector half in a thread of its own, and here when that thread cannot run", async () => {
    const spec: EmbedderSpec = embedderSpec(t.daemon.services.config);
    const row = new RagRepo(t.daemon.db).getIndex(id);
    if (!row) throw new Error('no index');
    const local = localVectorHalf(new RagSearchRepo(t.daemon.db), createEmbedder(spec));
    const here = await local(row, 'parse token stream 7', 50, {});
    expect(here.list.length).toBeGreaterThan(0);
    const threaded = threadedVectorHalf(
      { dbFile: path.join(t.daemon.services.config.home, DB_FILE), embedder: spec },
      local,
    );
    const there = await threaded(row, 'parse token stream 7', 50, {});
    expect(there.list).toEqual(here.list);
    expect([...(there.qv ?? [])]).toEqual([...(here.qv ?? [])]);
    // A thread that cannot open its database ends at once: the half runs here, with the same answer.
    const dir = await tempDir();
    const broken = threadedVectorHalf({ dbFile: path.join(dir, 'missing', 'disco.db'), embedder: spec }, local);
    expect((await broken(row, 'parse token stream 7', 50, {})).list).toEqual(here.list);
    expect((await broken(row, 'parse token stream 7', 50, {})).list).toEqual(here.list);
  });
});

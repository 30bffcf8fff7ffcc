import { describe, expect, it } from 'vitest';
import { RAG_FTS_FORMAT } from '../../src/daemon/db/rag-rows.js';
import { startTestDaemon } from '../helpers/daemon.js';

describe('RAG index format', () => {
  it('rebuilds at start-up an index whose FTS table has an older format', async () => {
    const t = await startTestDaemon({ DISCO_POOL_SIZE: '0' });
    try {
      const id = (await t.json('POST', '/api/v1/containers', { name: 'fmt' })).body.id;
      await t.json('PUT', `/api/v1/containers/${id}/files/content`, {
        path: 'a.ts',
        content: 'export function eachOfSeries() {}\n',
      });
      expect((await t.json('POST', '/api/v1/rag/index', { container: id, wait: true })).body.state).toBe('ready');
      // As a database from before migration 13 leaves it.
      t.daemon.db.prepare('UPDATE rag_indexes SET fts_format = 1').run();
      const rag = t.daemon.services.rag;
      const owner = t.daemon.db.prepare('SELECT owner_id FROM containers WHERE id = ?').pluck().get(id) as string;
      const root = (await t.daemon.services.containers.get(owner, id)).root;
      await rag.resume(async () => root);
      const done = await rag.wait(id, () => {}, new AbortController().signal);
      expect(done).toMatchObject({ state: 'ready' });
      expect(done.progress?.filesIndexed).toBe(1);
      expect(t.daemon.db.prepare('SELECT fts_format FROM rag_indexes').pluck().get()).toBe(RAG_FTS_FORMAT);
      const r = await t.json('POST', '/api/v1/rag/search', { container: id, query: 'eachOf', mode: 'bm25' });
      expect(r.body.results[0].path).toBe('a.ts');
    } finally {
      await t.stop();
    }
  });
});

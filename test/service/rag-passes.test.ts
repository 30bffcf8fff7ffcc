import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

// Each index pass is a worker thread with its own heap, page cache and parsers, and anyone with a container
// may start one per container: before DISCO_RAG_MAX_PASSES, indexing many containers at once ran as many
// threads at once.
describe('index passes over the bound wait their turn', () => {
  let t: TestDaemon;
  const ids: string[] = [];
  beforeAll(async () => {
    t = await startTestDaemon({ DISCO_RAG_MAX_PASSES: '1' });
    for (const name of ['one', 'two', 'three']) {
      const id = (await t.json('POST', '/api/v1/containers', { name })).body.id as string;
      ids.push(id);
      for (let i = 0; i < 60; i++) {
        await t.json('PUT', `/api/v1/containers/${id}/files/content`, {
          path: `src/m${i}.ts`,
          content: `/** Module ${i} of ${name}. */\nexport function ${name}Part${i}(x: number): number {\n  return x + ${i};\n}\n`,
        });
      }
    }
  }, 120_000);
  afterAll(() => t?.stop());

  it('runs one pass at a time, says queued for the others, cancels a waiting one, and ends every other ready', async () => {
    const started = await Promise.all(ids.map((container) => t.json('POST', '/api/v1/rag/index', { container })));
    const phases = started.map((r) => r.body.progress?.phase);
    expect(started.every((r) => r.body.state === 'indexing')).toBe(true);
    expect(phases.filter((p) => p !== 'queued')).toHaveLength(1);
    expect(phases.filter((p) => p === 'queued')).toHaveLength(2);
    // The last one waits: cancelled, it never runs.
    const last = ids[started.findLastIndex((r) => r.body.progress?.phase === 'queued')] as string;
    const cancelled = await t.json('POST', '/api/v1/rag/index', { container: last, action: 'cancel' });
    expect(cancelled.body.state).toBe('cancelled');
    for (const container of ids.filter((id) => id !== last)) {
      const done = await t.json('POST', '/api/v1/rag/index', { container, wait: true });
      expect(done.body).toMatchObject({ state: 'ready', files: 60 });
    }
    const status = await t.json('POST', '/api/v1/rag/index', { container: last, action: 'status' });
    expect(status.body).toMatchObject({ state: 'cancelled', chunks: 0 });
  }, 120_000);
});

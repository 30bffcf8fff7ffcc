import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpHarness, opHarness } from '../helpers/ops.js';

let h: OpHarness;
beforeAll(async () => {
  h = await opHarness({ DISCO_POOL_SIZE: '0' });
  await h.call('container_create', { name: 'lang', template: 'node' });
  await h.call('file_write', { container: 'lang', path: 'auth.js', content: 'function refreshToken() {}\n' });
  await h.call('rag_index', { container: 'lang', wait: true });
});
afterAll(() => h.close());

describe('rag_search language filter', () => {
  it('refuses a language the index does not know instead of answering no results', async () => {
    // `disco search web token --lang ts` answered "no results" (exit 1), as if nothing matched.
    await expect(
      h.call('rag_search', { container: 'lang', query: 'refreshToken', language: 'ts' }),
    ).rejects.toMatchObject({
      code: 'validation_failed',
      message: expect.stringMatching(/^language 'ts' is not one of: c, clojure, .*typescript/),
    });
    await expect(
      h.call('rag_search', { container: 'lang', query: 'refreshToken', language: 'JavaScript' }),
    ).rejects.toMatchObject({ message: expect.stringContaining("language 'JavaScript' is not one of") });
    const hits = await h.call('rag_search', { container: 'lang', query: 'refreshToken', language: 'javascript' });
    expect(hits.results.map((r) => r.path)).toContain('auth.js');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

let t: TestDaemon;
let id: string;

const put = (path: string, content: string) =>
  t.json('PUT', `/api/v1/containers/${id}/files/content`, { path, content });

async function untilIdle(): Promise<{
  state: string;
  files: number;
  chunks: number;
  progress: { filesIndexed: number };
}> {
  for (let i = 0; i < 200; i++) {
    const s = (await t.json('POST', '/api/v1/rag/index', { container: id, action: 'status' })).body;
    if (s.state !== 'indexing') return s;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('index pass did not end');
}

beforeAll(async () => {
  t = await startTestDaemon({ DISCO_POOL_SIZE: '0' });
  id = (await t.json('POST', '/api/v1/containers', { name: 'rag' })).body.id;
  await put(
    'src/retry.ts',
    '/** Computes the delay before the next attempt: exponential backoff with jitter. */\n' +
      'export function backoffDelay(attempt: number, baseMs: number): number {\n' +
      '  return baseMs * 2 ** attempt * Math.random();\n}\n',
  );
  await put('src/users.py', 'def find_user_by_email(db, email):\n    return db.users.get(email)\n');
  await put('docs/guide.md', '# Guide\n\n## Deploying\n\nRun the container behind a TLS proxy.\n');
  await put('package-lock.json', '{"lockfileVersion": 3}\n');
  await put('node_modules/dep/index.js', 'export function vendoredThing() {}\n');
  await put('.env', 'SECRET_TOKEN=hunter2\n');
});
afterAll(() => t.stop());

describe('RAG over REST', () => {
  it('reports no index before the first pass and refuses to search', async () => {
    const s = await t.json('POST', '/api/v1/rag/index', { container: id, action: 'status' });
    expect(s.body).toMatchObject({ state: 'none', files: 0, embedder: null });
    const r = await t.json('POST', '/api/v1/rag/search', { container: id, query: 'backoff' });
    expect(r.status).toBe(404);
    expect(r.body.error.message).toMatch(/rag_index/);
  });

  it('indexes with progress and skips lockfiles, vendored code and secrets', async () => {
    const r = await t.json('POST', '/api/v1/rag/index', { container: id, wait: true });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ state: 'ready', files: 3 });
    // The default embedder: the shipped static table beside 384 hashed dimensions.
    expect(r.body.embedder.id).toMatch(/^disco-static-v1-[0-9a-f]{8}-384\+\d+$/);
    expect(r.body.embedder.dimension).toBeGreaterThan(384);
    expect(r.body.progress).toMatchObject({ phase: 'done', filesTotal: 3, filesDone: 3, filesIndexed: 3 });
    const secret = await t.json('POST', '/api/v1/rag/search', {
      container: id,
      query: 'SECRET_TOKEN hunter2 vendoredThing',
    });
    const paths = secret.body.results.map((h: { path: string }) => h.path);
    expect(paths.filter((p: string) => p === '.env' || p.includes('node_modules') || p.endsWith('.json'))).toEqual([]);
  });

  it('finds a function from a description, with lines, symbol, snippet and both scores', async () => {
    const r = await t.json('POST', '/api/v1/rag/search', {
      container: 'rag',
      query: 'exponential backoff delay',
      k: 3,
    });
    expect(r.status).toBe(200);
    expect(r.body.mode).toBe('hybrid');
    expect(r.body.results[0]).toMatchObject({
      path: 'src/retry.ts',
      startLine: 1,
      endLine: 4,
      symbol: 'backoffDelay',
      kind: 'function',
      language: 'typescript',
    });
    expect(r.body.results[0].snippet).toContain('backoffDelay');
    expect(r.body.results[0].bm25.rank).toBe(1);
    expect(r.body.results[0].vector.rank).toBe(1);
  });

  it('filters by language and path glob, and bounds k', async () => {
    const py = await t.json('POST', '/api/v1/rag/search', {
      container: id,
      query: 'find user email',
      language: 'python',
    });
    expect(py.body.results.map((h: { path: string }) => h.path)).toEqual(['src/users.py']);
    const docs = await t.json('POST', '/api/v1/rag/search', { container: id, query: 'deploying TLS', path: 'docs/**' });
    expect(docs.body.results[0]).toMatchObject({ path: 'docs/guide.md', symbol: 'Guide > Deploying' });
    const none = await t.json('POST', '/api/v1/rag/search', {
      container: id,
      query: 'backoff',
      path: '*.py',
      mode: 'vector',
    });
    expect(none.body.results.every((h: { path: string }) => h.path.endsWith('.py'))).toBe(true);
    const big = await t.json('POST', '/api/v1/rag/search', { container: id, query: 'x', k: 51 });
    expect(big.status).toBe(400);
  });

  it('follows writes, edits and deletes made through Disco, re-embedding only what changed', async () => {
    await put(
      'src/cache.ts',
      'export function evictLeastRecentlyUsed(cache: Map<string, number>) {\n  cache.clear();\n}\n',
    );
    let s = await untilIdle();
    for (let i = 0; i < 100 && s.files < 4; i++) {
      await new Promise((r) => setTimeout(r, 50));
      s = await untilIdle();
    }
    expect(s.files).toBe(4);
    expect(s.progress.filesIndexed).toBe(1);
    const found = await t.json('POST', '/api/v1/rag/search', { container: id, query: 'evict least recently used' });
    expect(found.body.results[0].symbol).toBe('evictLeastRecentlyUsed');

    const del = await t.request('DELETE', `/api/v1/containers/${id}/files?path=src%2Fcache.ts`);
    expect(del.status).toBe(200);
    for (let i = 0; i < 100 && s.files !== 3; i++) {
      await new Promise((r) => setTimeout(r, 50));
      s = await untilIdle();
    }
    expect(s.files).toBe(3);
    const gone = await t.json('POST', '/api/v1/rag/search', { container: id, query: 'evictLeastRecentlyUsed' });
    expect(gone.body.results.some((h: { path: string }) => h.path === 'src/cache.ts')).toBe(false);
  });

  it('re-runs incrementally: nothing changed means nothing re-indexed; force rebuilds', async () => {
    const again = await t.json('POST', '/api/v1/rag/index', { container: id, wait: true });
    expect(again.body.progress).toMatchObject({ filesIndexed: 0, filesUnchanged: 3 });
    const forced = await t.json('POST', '/api/v1/rag/index', { container: id, wait: true, force: true });
    expect(forced.body.progress).toMatchObject({ filesIndexed: 3 });
    expect(forced.body.chunks).toBeGreaterThan(0);
  });

  it("backs ChatGPT's search and fetch: chunk ids with line ranges, the chunk's text and URL", async () => {
    const s = await t.json('GET', `/api/v1/search?query=${encodeURIComponent('exponential backoff')}`);
    expect(s.status).toBe(200);
    const hit = s.body.results[0];
    expect(hit.id).toBe(`${id}/src/retry.ts#L1-L4`);
    expect(hit.title).toBe('rag: src/retry.ts:1-4 backoffDelay');
    // A page a person can open (a short-lived signed link), not the bearer-token API.
    expect(hit.url).toMatch(new RegExp(`/view/${id}/src/retry\\.ts\\?t=`));
    const f = await t.json('GET', `/api/v1/fetch?id=${encodeURIComponent(hit.id)}`);
    expect(f.status).toBe(200);
    expect(f.body.text).toContain('export function backoffDelay');
    expect(f.body.metadata).toMatchObject({ path: 'src/retry.ts', startLine: 1, endLine: 4, symbol: 'backoffDelay' });
    const whole = await t.json('GET', `/api/v1/fetch?id=${encodeURIComponent(`${id}/docs/guide.md`)}`);
    expect(whole.body.text).toContain('TLS proxy');
  });

  it('falls back to scanning files for containers without an index', async () => {
    const other = (await t.json('POST', '/api/v1/containers', { name: 'plain' })).body.id;
    await t.json('PUT', `/api/v1/containers/${other}/files/content`, {
      path: 'notes.txt',
      content: 'zebra crossing\n',
    });
    const s = await t.json('GET', `/api/v1/search?query=zebra`);
    expect(s.body.results.map((r: { id: string }) => r.id)).toContain(`${other}/notes.txt`);
  });

  it('cancels a pass and keeps what it finished; a deleted container drops its index', async () => {
    const c = (await t.json('POST', '/api/v1/containers', { name: 'cancel-me' })).body.id;
    for (let i = 0; i < 30; i++) {
      await t.json('PUT', `/api/v1/containers/${c}/files/content`, {
        path: `f${i}.ts`,
        content: `export const v${i} = ${i};\n`,
      });
    }
    await t.json('POST', '/api/v1/rag/index', { container: c });
    const cancelled = await t.json('POST', '/api/v1/rag/index', { container: c, action: 'cancel' });
    expect(cancelled.status).toBe(200);
    let s = cancelled.body;
    for (let i = 0; i < 200 && s.state === 'indexing'; i++) {
      await new Promise((r) => setTimeout(r, 25));
      s = (await t.json('POST', '/api/v1/rag/index', { container: c, action: 'status' })).body;
    }
    expect(['cancelled', 'ready']).toContain(s.state);
    expect((await t.json('DELETE', `/api/v1/containers/${c}`)).status).toBe(200);
    const rows = t.daemon.db.prepare('SELECT count(*) AS n FROM rag_indexes WHERE container_id = ?').get(c) as {
      n: number;
    };
    expect(rows.n).toBe(0);
  });
});

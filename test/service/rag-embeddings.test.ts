import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAiEmbedder } from '../../src/daemon/rag/openai-embedder.js';
import { startTestDaemon } from '../helpers/daemon.js';

/** A stand-in for an OpenAI-compatible server: POST /v1/embeddings, with scripted failures. */
interface Call {
  auth: string | undefined;
  model: string;
  inputs: string[];
}
let server: http.Server;
let base: string;
const calls: Call[] = [];
let failures: number[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      if (req.url !== '/v1/embeddings' || req.method !== 'POST') {
        res.writeHead(404).end();
        return;
      }
      const json = JSON.parse(body) as { model: string; input: string[] };
      calls.push({ auth: req.headers.authorization, model: json.model, inputs: json.input });
      const fail = failures.shift();
      if (fail) {
        res.writeHead(fail, fail === 429 ? { 'retry-after': '0' } : {}).end(JSON.stringify({ error: 'scripted' }));
        return;
      }
      // A deterministic 16-dim "model": letter counts, so similar texts get similar vectors.
      const data = json.input.map((text, index) => {
        const v = new Array(16).fill(0);
        for (const ch of text.toLowerCase()) if (ch >= 'a' && ch <= 'z') v[(ch.charCodeAt(0) - 97) % 16] += 1;
        return { object: 'embedding', index, embedding: v };
      });
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ object: 'list', data: data.reverse() }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const embedder = (extra: Partial<ConstructorParameters<typeof OpenAiEmbedder>[0]> = {}) =>
  new OpenAiEmbedder({
    url: base,
    model: 'stand-in',
    key: 'sk-test',
    dimensions: undefined,
    batchSize: 3,
    timeoutMs: 5000,
    backoffMs: 1,
    ...extra,
  });

describe('OpenAI-compatible embedder', () => {
  it('batches, keeps input order, normalises and learns the dimension', async () => {
    calls.length = 0;
    const e = embedder();
    const v = await e.embed(['aaaa', 'bbbb', 'cccc', 'abab', 'zzzz']);
    expect(calls.map((c) => c.inputs.length)).toEqual([3, 2]);
    expect(calls[0]?.auth).toBe('Bearer sk-test');
    expect(await e.dimension()).toBe(16);
    expect(v[0]?.[0]).toBeCloseTo(1);
    expect(v[1]?.[1]).toBeCloseTo(1);
    expect(v[3]?.[0]).toBeCloseTo(Math.SQRT1_2);
  });

  it('retries 429 and 5xx with backoff, and gives up on a 401 at once', async () => {
    calls.length = 0;
    failures = [429, 503];
    const [v] = await embedder().embed(['retry me']);
    expect(calls.length).toBe(3);
    expect(v?.length).toBe(16);
    calls.length = 0;
    failures = [401];
    await expect(embedder().embed(['x'])).rejects.toMatchObject({ code: 'unavailable', message: /HTTP 401/ });
    expect(calls.length).toBe(1);
    failures = [500, 500, 500];
    await expect(embedder({ maxAttempts: 3 }).embed(['x'])).rejects.toThrow(/HTTP 500/);
    failures = [];
  });

  it('indexes with the remote model, stores its id and dimension, and re-embeds when the embedder changes', async () => {
    const t = await startTestDaemon({
      DISCO_POOL_SIZE: '0',
      DISCO_EMBEDDINGS_URL: base,
      DISCO_EMBEDDINGS_MODEL: 'stand-in',
      DISCO_EMBEDDINGS_KEY: 'sk-test',
    });
    try {
      const id = (await t.json('POST', '/api/v1/containers', { name: 'remote' })).body.id;
      await t.json('PUT', `/api/v1/containers/${id}/files/content`, {
        path: 'a.ts',
        content: 'export function alpha() {}\n',
      });
      const s = await t.json('POST', '/api/v1/rag/index', { container: id, wait: true });
      expect(s.body).toMatchObject({ state: 'ready', embedder: { id: 'openai:stand-in', dimension: 16 } });
      const r = await t.json('POST', '/api/v1/rag/search', { container: id, query: 'alpha', mode: 'vector' });
      expect(r.body.results[0].path).toBe('a.ts');
      // Switch the daemon's embedder: searching warns and ranks by keywords, the next pass re-embeds everything.
      const services = t.daemon.services;
      const { RagService } = await import('../../src/daemon/rag/service.js');
      const { RagRepo } = await import('../../src/daemon/db/rag-repo.js');
      const hashed = new RagService(
        new RagRepo(t.daemon.db),
        { ...settingsOf(services.config.home), embedder: { kind: 'hashed', dimension: 384 } },
        services.log,
      );
      const c = await services.containers.get(await adminId(t), id);
      const mixed = await hashed.searchIndex(id, 'alpha', { k: 5, mode: 'hybrid' });
      expect(mixed.mode).toBe('bm25');
      expect(mixed.warnings[0]).toMatch(/openai:stand-in/);
      await hashed.start(c);
      const done = await hashed.wait(id, () => {}, new AbortController().signal);
      expect(done).toMatchObject({ state: 'ready', embedder: { id: 'disco-hashed-v1-384', dimension: 384 } });
      expect(done.progress?.filesIndexed).toBe(1);
      await hashed.close();
    } finally {
      await t.stop();
    }
  });
});

function settingsOf(home: string) {
  return {
    dbFile: `${home}/disco.db`,
    limits: {
      maxFileBytes: 1 << 20,
      maxFiles: 1000,
      chunk: { maxChars: 2400, minChars: 80, windowLines: 60, overlapLines: 10 },
      batchFiles: 100,
    },
    watch: false,
    refreshDelayMs: 10,
    maxPasses: 2,
  };
}

async function adminId(t: Awaited<ReturnType<typeof startTestDaemon>>): Promise<string> {
  return (t.daemon.db.prepare('SELECT id FROM users WHERE is_admin = 1').get() as { id: string }).id;
}

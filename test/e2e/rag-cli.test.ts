import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disco, type ServeProcess, spawnServe } from '../helpers/cli.js';
import { tempDir } from '../helpers/daemon.js';

let home: string;
let serve: ServeProcess;
let env: Record<string, string>;
let root: string;

const stop = async (s: ServeProcess, signal: NodeJS.Signals) => {
  if (s.child.exitCode !== null) return;
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill(signal);
  await exited;
};

beforeAll(async () => {
  home = await tempDir('disco-e2e-rag-');
  serve = await spawnServe(home, { DISCO_POOL_SIZE: '0' });
  env = { DISCO_URL: serve.url, DISCO_HOME: home };
  const created = await disco(['containers', 'create', 'code', '--json'], env);
  expect(created.code, created.stderr).toBe(0);
  const id = JSON.parse(created.stdout).id as string;
  root = path.join(home, 'containers', id);
  // Enough files that a pass takes a moment, so it can be killed midway.
  for (let i = 0; i < 1500; i++) {
    await writeFile(
      path.join(root, `m${i}.ts`),
      `/** Computes value number ${i}. */\nexport function compute${i}(x: number): number {\n  return x * ${i};\n}\n`,
    );
  }
  await writeFile(
    path.join(root, 'backoff.ts'),
    'export function exponentialBackoff(attempt: number) {\n  return 2 ** attempt;\n}\n',
  );
});
afterAll(async () => {
  await stop(serve, 'SIGTERM');
});

describe('disco index and disco search', () => {
  it('survives kill -9 mid-pass: the index stays consistent and the next daemon resumes it', async () => {
    const started = await disco(['index', 'code', '--no-wait', '--json'], env);
    expect(started.code, started.stderr).toBe(0);
    let done = 0;
    for (let i = 0; i < 400; i++) {
      const s = JSON.parse((await disco(['index', 'code', '--status', '--json'], env)).stdout);
      done = s.progress?.filesDone ?? 0;
      if (done >= 200 || s.state !== 'indexing') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await stop(serve, 'SIGKILL');
    serve = await spawnServe(home, { DISCO_POOL_SIZE: '0' });
    env = { DISCO_URL: serve.url, DISCO_HOME: home };
    let s = JSON.parse((await disco(['index', 'code', '--status', '--json'], env)).stdout);
    for (let i = 0; i < 600 && s.state === 'indexing'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      s = JSON.parse((await disco(['index', 'code', '--status', '--json'], env)).stdout);
    }
    expect(s.state).toBe('ready');
    expect(s.files).toBe(1501);
    const again = await disco(['index', 'code', '--json'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).progress).toMatchObject({ filesIndexed: 0, filesUnchanged: 1501 });
  });

  it('prints progress and a summary, then finds code by description', async () => {
    const r = await disco(['index', 'code'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ready, 1501 files, \d+ chunks/);
    const found = await disco(['search', 'code', 'exponential', 'backoff', '-k', '2'], env);
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout).toMatch(/^1\. backoff\.ts:1-3 {2}exponentialBackoff/);
    const none = await disco(['search', 'code', 'zzzqqq', '--mode', 'bm25'], env);
    expect(none.code).toBe(1);
    expect(none.stdout).toContain('no results');
    // Hybrid always has nearest-by-meaning hits; without a hit containing the words it is still "not found".
    const unrelated = await disco(['search', 'code', 'zzzqqq', 'xxyyww'], env);
    expect(unrelated.code).toBe(1);
  });

  it('says how to build the index of a never-indexed container', async () => {
    expect((await disco(['containers', 'create', 'fresh'], env)).code).toBe(0);
    const r = await disco(['search', 'fresh', 'anything'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('fresh has no search index yet: run `disco index fresh`');
    expect(r.stderr).not.toContain('rag_index');
  });
});

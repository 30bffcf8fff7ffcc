import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CHUNK_OPTIONS } from '../../src/daemon/rag/chunker.js';
import {
  FilePreparer,
  type PreparedFile,
  type PrepareSettings,
  preparedEmbedder,
} from '../../src/daemon/rag/prepare-file.js';
import { PreparePool } from '../../src/daemon/rag/prepare-thread.js';

const settings: PrepareSettings = {
  embedder: { kind: 'static', hashedDimension: 384 },
  chunk: DEFAULT_CHUNK_OPTIONS,
};

/** A few files of each kind the chunker tells apart: syntax trees, Markdown headings, plain windows. */
function sampleFiles(): { rel: string; text: string }[] {
  const files: { rel: string; text: string }[] = [];
  for (let i = 0; i < 6; i++) {
    files.push({
      rel: `src/mod${i}.ts`,
      text: `import { x } from './x';\n\n/** Parses the config number ${i}. */\nexport function parseConfig${i}(raw: string): number {\n  return Number(raw) + ${i};\n}\n\nexport class Store${i} {\n  get(key: string) {\n    return key.length;\n  }\n}\n`,
    });
    files.push({
      rel: `pkg/util${i}.py`,
      text: `def read_file_${i}(path):\n    """Reads the whole file."""\n    with open(path) as f:\n        return f.read()\n`,
    });
    files.push({ rel: `docs/guide${i}.md`, text: `# Guide ${i}\n\nIntro.\n\n## Install\n\nRun npm install.\n` });
    files.push({ rel: `notes${i}.txt`, text: Array.from({ length: 90 }, (_, n) => `line ${n} of ${i}`).join('\n') });
  }
  return files;
}

const plain = (f: PreparedFile) => ({
  ...f,
  vectors: f.vectors ? Buffer.from(f.vectors).toString('base64') : undefined,
});

let pool: PreparePool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

/** A pool whose thread is up (closed after the test). */
async function startedPool(): Promise<PreparePool> {
  const started = new PreparePool(settings);
  pool = started;
  started.start();
  expect(await started.threadReady()).toBe(true);
  return started;
}

describe('rag prepare thread', () => {
  it('prepares files exactly as the indexer does itself (which thread prepared a file never shows)', async () => {
    const local = new FilePreparer(settings);
    const started = await startedPool();
    const files = sampleFiles();
    const reuse = new Set<string>();
    const first = await local.prepare(files[0]!.rel, files[0]!.text);
    reuse.add(first.chunks[0]!.hash);
    const threaded = await Promise.all(
      files.map((f, i) => started.prepare(f.rel, f.text, i === 0 ? reuse : undefined)),
    );
    for (const [i, f] of files.entries()) {
      const mine = await local.prepare(f.rel, f.text, i === 0 ? reuse : undefined);
      expect(plain(threaded[i]!)).toEqual(plain(mine));
    }
    // A kept chunk is not embedded again: its vector bytes are left empty.
    const kept = threaded[0]!;
    const stride = kept.vectors!.byteLength / kept.chunks.length;
    expect(kept.vectors!.subarray(0, stride).every((b) => b === 0)).toBe(true);
    expect(kept.vectors!.subarray(stride, 2 * stride).some((b) => b !== 0)).toBe(true);
  });

  it('prepares the files a lost thread held itself', async () => {
    const local = new FilePreparer(settings);
    const started = await startedPool();
    const files = sampleFiles();
    const pending = files.map((f) => started.prepare(f.rel, f.text));
    await started.close(); // the thread ends with files in hand
    expect(started.threaded).toBe(false);
    const got = await Promise.all(pending);
    for (const [i, f] of files.entries()) expect(plain(got[i]!)).toEqual(plain(await local.prepare(f.rel, f.text)));
    // Without a thread every file is prepared here.
    expect(plain(await started.prepare(files[1]!.rel, files[1]!.text))).toEqual(
      plain(await local.prepare(files[1]!.rel, files[1]!.text)),
    );
  });

  it('hands the prepare thread a built-in embedder, never a remote one (nor its key)', () => {
    expect(preparedEmbedder({ kind: 'static', hashedDimension: 384 })).toEqual({
      kind: 'static',
      hashedDimension: 384,
    });
    const remote = {
      kind: 'openai' as const,
      url: 'http://127.0.0.1:9/v1',
      model: 'm',
      key: 'secret',
      dimensions: 8,
      batchSize: 16,
      timeoutMs: 1000,
    };
    expect(preparedEmbedder(remote)).toBeUndefined();
  });
});

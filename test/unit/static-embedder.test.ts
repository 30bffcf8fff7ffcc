import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEmbedder, dot } from '../../src/daemon/rag/embedder.js';
import { HashedEmbedder } from '../../src/daemon/rag/hashed-embedder.js';
import {
  EmbedderAssetError,
  LEXICAL_SHARE,
  STATIC_EMBEDDER_FILE,
  StaticEmbedder,
} from '../../src/daemon/rag/static-embedder.js';
import { tokenize } from '../../src/daemon/rag/tokens.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'disco-static-embedder-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const norm = (v: Float32Array) => Math.sqrt(dot(v, v));

describe('StaticEmbedder (the shipped table)', () => {
  const e = new StaticEmbedder(384);

  it('loads the table shipped in assets/embedder and reports its dimension and a content id', async () => {
    const dim = await e.dimension();
    expect(dim).toBeGreaterThan(384);
    expect(dim % 8).toBe(0); // sqlite-vec's bit[] columns need whole bytes
    expect(e.id).toMatch(/^disco-static-v1-[0-9a-f]{8}-384\+\d+$/);
    const [v] = await e.embed(['read a file from disk']);
    expect(v).toHaveLength(dim);
    expect(norm(v as Float32Array)).toBeCloseTo(1, 5);
  });

  it('is deterministic: the same text gives the same bytes, across instances', async () => {
    const text = 'def remove_file(path):\n    os.unlink(path)\n';
    const [a] = await e.embed([text]);
    const [b] = await new StaticEmbedder(384).embed([text]);
    expect(Buffer.from((a as Float32Array).buffer)).toEqual(Buffer.from((b as Float32Array).buffer));
    expect(e.embedTokens(tokenize(text))).toEqual(a);
  });

  it('falls back to the hashed features for words the table never saw, and embeds empty text as zeros', async () => {
    const [unknown] = await e.embed(['zqxjkvbw plorfnax']);
    const hashed = new HashedEmbedder(384).embedOne('zqxjkvbw plorfnax');
    // Nothing learnt: the vector is the hashed one, alone and unit length.
    expect(norm(unknown as Float32Array)).toBeCloseTo(1, 5);
    expect(dot((unknown as Float32Array).subarray(0, 384), hashed)).toBeCloseTo(1, 5);
    expect([...(unknown as Float32Array).subarray(384)].every((x) => x === 0)).toBe(true);
    const [empty] = await e.embed(['']);
    expect([...(empty as Float32Array)].every((x) => x === 0)).toBe(true);
  });

  it('splits the similarity between the lexical and the learnt halves', async () => {
    const [v] = await e.embed(['parse the configuration file']);
    const lex = (v as Float32Array).subarray(0, 384);
    expect(dot(lex, lex)).toBeCloseTo(LEXICAL_SHARE, 4);
  });

  it('puts a question nearer to code that answers it in other words, where the hashed embedder sees nothing', async () => {
    const hashed = new HashedEmbedder(384);
    for (const [q, answer, other] of [
      ['delete a file', 'os.unlink(path)', 'total = sum(values)'],
      ['parse the date', 'datetime.strptime(s, fmt)', 'os.unlink(path)'],
    ] as const) {
      const [qv, av, ov] = await e.embed([q, answer, other]);
      expect(dot(qv as Float32Array, av as Float32Array)).toBeGreaterThan(
        dot(qv as Float32Array, ov as Float32Array) + 0.05,
      );
      // No shared word: the hashed embedder cannot tell them apart.
      expect(Math.abs(dot(hashed.embedOne(q), hashed.embedOne(answer)))).toBeLessThan(0.1);
    }
  });

  it('is what the default settings build', () => {
    const built = createEmbedder({ kind: 'static', hashedDimension: 384 });
    expect(built.id).toBe(e.id);
  });
});

describe('StaticEmbedder (a damaged install)', () => {
  it('refuses a missing table with a typed error', () => {
    expect(() => new StaticEmbedder(384, path.join(tmp, 'missing.bin'))).toThrow(EmbedderAssetError);
  });

  it('refuses a truncated table on first use, not with garbage vectors', async () => {
    const bytes = readFileSync(STATIC_EMBEDDER_FILE);
    const cut = path.join(tmp, 'cut.bin');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    const e = new StaticEmbedder(384, cut);
    await expect(e.embed(['hello world'])).rejects.toBeInstanceOf(EmbedderAssetError);
  });

  it('refuses a file that is not a table', () => {
    const junk = path.join(tmp, 'junk.bin');
    writeFileSync(junk, 'not a table at all');
    expect(() => new StaticEmbedder(384, junk)).toThrow(EmbedderAssetError);
  });
});

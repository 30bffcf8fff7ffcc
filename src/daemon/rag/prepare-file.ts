import type { NewChunk } from '../db/rag-rows.js';
import { sha256 } from '../workspace/content.js';
import { type ChunkOptions, chunkFile } from './chunker.js';
import { createEmbedder, type EmbedderSpec, embedsTokens, type TokenEmbedder } from './embedder.js';
import { withoutImports } from './import-lines.js';
import { SyntaxParsers } from './syntax.js';
import { expandTokens, ftsSymbolText, type Token, tokenize } from './tokens.js';

/** A chunk as the index stores it, but for its file's fields and its vector. */
export type PreparedChunk = Omit<NewChunk, 'path' | 'language' | 'ftsPath' | 'vector'>;

/** One file's chunks, ready to be written (plain data: it crosses threads, prepare-thread.ts). */
export interface PreparedFile {
  language: string;
  ftsPath: string;
  chunks: PreparedChunk[];
  /**
   * With an embedder that takes tokens (the built-in ones): chunk i's vector, as the little-endian float32
   * bytes sqlite-vec stores, is bytes [i × n, (i + 1) × n) with n = byteLength / chunks; a chunk whose hash
   * was in `reuse` was not embedded (zeros). Without one: absent, the indexer embeds the chunks' texts.
   */
  vectors?: Uint8Array;
}

/** What preparing a file needs besides the file: plain data, so a helper thread can build the same. */
export interface PrepareSettings {
  /**
   * The pass's embedder when it runs on tokens (the built-in ones: see `preparedEmbedder`); another one
   * (a remote model, with its key) never reaches the prepare thread: the indexer embeds for it.
   */
  embedder: EmbedderSpec | undefined;
  chunk: ChunkOptions;
}

/** The spec a preparer gets for the pass's embedder: itself when it embeds tokens, else none. */
export const preparedEmbedder = (spec: EmbedderSpec): EmbedderSpec | undefined =>
  embedsTokens(createEmbedder(spec)) ? spec : undefined;

const chunkHash = (s: string) => sha256(s).slice(0, 32);

/**
 * The compute of indexing one file, with no I/O: chunk it (tree-sitter), make each chunk's FTS texts and
 * hash, and embed the chunks when the embedder runs on tokens. The same input gives the same output in
 * any thread, so which thread prepared a file never changes the index.
 */
export class FilePreparer {
  private readonly parsers = new SyntaxParsers();
  private readonly embedder: TokenEmbedder | undefined;

  constructor(private readonly settings: PrepareSettings) {
    const embedder = settings.embedder && createEmbedder(settings.embedder);
    this.embedder = embedder && embedsTokens(embedder) ? embedder : undefined;
  }

  /** `reuse`: hashes of chunks whose stored vectors the indexer keeps (an edited file's unchanged chunks). */
  async prepare(rel: string, text: string, reuse?: ReadonlySet<string>): Promise<PreparedFile> {
    const { language, chunks } = await chunkFile(rel, text, this.parsers, this.settings.chunk);
    const pathTokens = tokenize(rel);
    const ftsPath = expandTokens(pathTokens);
    const embedder = this.embedder;
    const vectors: Float32Array[] = [];
    const prepared = chunks.map((c, i): PreparedChunk => {
      const tokens = chunkTokens(pathTokens, c, embedder !== undefined);
      const hash = chunkHash(c.content);
      if (embedder && tokens.embed && !reuse?.has(hash)) vectors[i] = embedder.embedTokens(tokens.embed);
      return {
        symbol: c.symbol,
        kind: c.kind,
        startLine: c.startLine,
        endLine: c.endLine,
        hash,
        content: c.content,
        ftsBody: expandTokens(tokens.body),
        ftsSymbol: ftsSymbolText(c.symbol, c.content),
      };
    });
    const file: PreparedFile = { language, ftsPath, chunks: prepared };
    if (embedder) file.vectors = packVectors(vectors, chunks.length, (await embedder.dimension()) * 4);
    return file;
  }
}

/** Vectors side by side in one buffer (one transfer between threads instead of a clone per chunk). */
function packVectors(vectors: readonly (Float32Array | undefined)[], n: number, stride: number): Uint8Array {
  const out = new Uint8Array(n * stride);
  for (let i = 0; i < n; i++) {
    const v = vectors[i];
    if (v) out.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), i * stride);
  }
  return out;
}

/** Chunk i's vector bytes of a file's packed `vectors` (of `count` chunks), a view into them. */
export function vectorAt(vectors: Uint8Array, count: number, i: number): Buffer {
  const stride = vectors.byteLength / count;
  return Buffer.from(vectors.buffer, vectors.byteOffset + i * stride, stride);
}

/**
 * A chunk's tokens for the FTS body (without its import lines, import-lines.ts) and, when the embedder
 * takes tokens, for the embedder (path, symbol and the whole body): one tokenization when they are the same.
 * Perf: the tokens of `embeddingText` are those of its lines' parts in turn (no token crosses a newline,
 * and ASCII text gives the same tokens under either pattern of tokenize), so the path is tokenized once
 * per file and a chunk's import lines are tokenized again only when there are some.
 */
function chunkTokens(
  pathTokens: readonly Token[],
  c: { symbol: string | null; content: string },
  forEmbedder: boolean,
): { body: Token[]; embed?: Token[] } {
  const head = c.symbol ? pathTokens.concat(tokenize(c.symbol)) : pathTokens;
  const content = withoutImports(c.content);
  if (content === c.content) {
    const tokens = head.concat(tokenize(content));
    return forEmbedder ? { body: tokens, embed: tokens } : { body: tokens };
  }
  const body = head.concat(tokenize(content));
  return forEmbedder ? { body, embed: head.concat(tokenize(c.content)) } : { body };
}

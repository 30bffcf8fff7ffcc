import { HashedEmbedder } from './hashed-embedder.js';
import { OpenAiEmbedder } from './openai-embedder.js';
import { StaticEmbedder } from './static-embedder.js';
import type { Token } from './tokens.js';

/**
 * Turns texts into unit vectors. The index stores `id` and the dimension with its vectors; a different
 * embedder means a re-embed, never a mix of vector spaces.
 */
export interface Embedder {
  /** Stable model id, stored with the index (e.g. `disco-hashed-v1`, `openai:text-embedding-3-small`). */
  readonly id: string;
  /** Vector length; for a remote model it may be learnt from its first answer. */
  dimension(): Promise<number>;
  /** One L2-normalised vector per text, in order. */
  embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]>;
}

/** What a worker thread needs to build the same embedder as the daemon (plain data, no functions). */
export type EmbedderSpec =
  | { kind: 'hashed'; dimension: number }
  /** The learnt static token table shipped in assets/embedder, beside a hashed part of `hashedDimension`. */
  | { kind: 'static'; hashedDimension: number; file?: string }
  | {
      kind: 'openai';
      url: string;
      model: string;
      key: string | undefined;
      dimensions: number | undefined;
      batchSize: number;
      timeoutMs: number;
    };

export function createEmbedder(spec: EmbedderSpec): Embedder {
  if (spec.kind === 'hashed') return new HashedEmbedder(spec.dimension);
  if (spec.kind === 'static') return new StaticEmbedder(spec.hashedDimension, spec.file);
  return new OpenAiEmbedder(spec);
}

/** An embedder that runs in-process on tokens the indexer already has (the built-in ones). */
export interface TokenEmbedder extends Embedder {
  embedTokens(tokens: readonly Token[]): Float32Array;
}

export const embedsTokens = (e: Embedder): e is TokenEmbedder =>
  typeof (e as Partial<TokenEmbedder>).embedTokens === 'function';

/** The id an embedder built from this spec will report, without building it. */
export function embedderIdOf(spec: EmbedderSpec): string {
  return createEmbedder(spec).id;
}

/** The text embedded for a chunk: where it lives and what it is named say as much as its body. */
export function embeddingText(chunk: { path: string; symbol: string | null; content: string }): string {
  return `${chunk.path}\n${chunk.symbol ?? ''}\n${chunk.content}`;
}

/** Float32 vector to the little-endian bytes sqlite-vec and our BLOB column store. */
export const vectorBytes = (v: Float32Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

export const bytesVector = (b: Uint8Array): Float32Array =>
  new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

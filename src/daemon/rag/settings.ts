import type { Config } from '../config.js';
import { DEFAULT_CHUNK_OPTIONS } from './chunker.js';
import type { EmbedderSpec } from './embedder.js';
import type { RagSettings } from './service.js';

/** Dimension of the built-in hashed embedder: enough room for a chunk's vocabulary, small enough to scan. */
export const HASHED_DIMENSION = 384;

export function embedderSpec(config: Config): EmbedderSpec {
  if (!config.embeddingsUrl) {
    return config.embedder === 'hashed'
      ? { kind: 'hashed', dimension: HASHED_DIMENSION }
      : { kind: 'static', hashedDimension: HASHED_DIMENSION };
  }
  return {
    kind: 'openai',
    url: config.embeddingsUrl,
    model: config.embeddingsModel,
    key: config.embeddingsKey,
    dimensions: config.embeddingsDimensions,
    batchSize: config.embeddingsBatch,
    timeoutMs: 60_000,
  };
}

export function ragSettings(config: Config, dbFile: string): RagSettings {
  return {
    dbFile,
    embedder: embedderSpec(config),
    limits: {
      maxFileBytes: config.ragMaxFileBytes,
      maxFiles: config.ragMaxFiles,
      chunk: { ...DEFAULT_CHUNK_OPTIONS, maxChars: config.ragChunkChars },
      batchFiles: 100,
    },
    watch: config.ragWatch,
    refreshDelayMs: 300,
    maxPasses: config.ragMaxPasses,
  };
}

import { z } from 'zod';
import { bytes, intIn } from './settings-schema.js';

/** The settings of code search: the embedder and the index (part of SETTINGS); see docs/rag.md. */
export const RAG_SETTINGS = {
  embedder: {
    env: 'DISCO_EMBEDDER',
    default: 'static',
    schema: z.enum(['static', 'hashed']),
    doc: 'Built-in offline embedder for code search: `static` (token embeddings learnt from doc comments and code of ~1,000 open-source packages, shipped with Disco, plus the hashed features) or `hashed` (shared vocabulary only). Ignored when `DISCO_EMBEDDINGS_URL` is set. Changing it re-embeds an index on its next pass. Default `static`.',
  },
  embeddingsUrl: {
    env: 'DISCO_EMBEDDINGS_URL',
    schema: z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, '')),
    doc: 'Base URL of an OpenAI-compatible embeddings API (e.g. `https://api.openai.com/v1`; requests go to `<url>/embeddings`). Unset: the built-in offline embedder (`DISCO_EMBEDDER`).',
  },
  embeddingsModel: {
    env: 'DISCO_EMBEDDINGS_MODEL',
    default: 'text-embedding-3-small',
    schema: z.string().min(1).max(200),
    doc: 'Embedding model asked of `DISCO_EMBEDDINGS_URL`. Default `text-embedding-3-small`.',
  },
  embeddingsKey: {
    env: 'DISCO_EMBEDDINGS_KEY',
    schema: z.string().min(1),
    doc: 'Bearer key for `DISCO_EMBEDDINGS_URL` (never logged).',
  },
  embeddingsDimensions: {
    env: 'DISCO_EMBEDDINGS_DIMENSIONS',
    schema: intIn(8, 8192).refine((n) => n % 8 === 0, 'must be a multiple of 8'),
    doc: 'Vector size to ask the model for (models that support `dimensions`). Default: what the model returns.',
  },
  embeddingsBatch: {
    env: 'DISCO_EMBEDDINGS_BATCH',
    default: 64,
    schema: intIn(1, 2048),
    doc: 'Texts per embeddings request. Default 64.',
  },
  ragMaxFileBytes: {
    env: 'DISCO_RAG_MAX_FILE_BYTES',
    default: 1024 * 1024,
    schema: bytes,
    doc: 'Files larger than this are left out of the search index. Default 1 MiB.',
  },
  ragMaxFiles: {
    env: 'DISCO_RAG_MAX_FILES',
    default: 100_000,
    schema: intIn(1, 10_000_000),
    doc: 'Most files one container index takes (the rest is reported as truncated). Default 100000.',
  },
  ragChunkChars: {
    env: 'DISCO_RAG_CHUNK_CHARS',
    default: 2400,
    schema: intIn(200, 100_000),
    doc: 'Target largest chunk, in characters; bigger definitions are split into members or windows. Default 2400.',
  },
  ragMaxPasses: {
    env: 'DISCO_RAG_MAX_PASSES',
    default: 2,
    schema: intIn(1, 64),
    doc: 'Index passes that run at once, daemon-wide (each is a thread with its own memory); the others wait their turn (`progress.phase: queued`), the next one taken from the user with the fewest running. Default 2.',
  },
  ragWatch: {
    env: 'DISCO_RAG_WATCH',
    default: false,
    schema: z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
    doc: 'Also re-index when files change on disk (commands, editors), not only after writes through Disco. Default `false`.',
  },
} as const;

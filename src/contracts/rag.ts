import { z } from 'zod';
import { defineContract } from './contract.js';
import { containerRef } from './schemas.js';
import { LANGUAGES } from './vocabulary.js';

export const ProgressSchema = z.object({
  phase: z.enum(['queued', 'scanning', 'indexing', 'done']),
  filesTotal: z.number().int(),
  filesDone: z.number().int(),
  filesIndexed: z.number().int().describe('Re-chunked and re-embedded in this pass (new or changed).'),
  filesUnchanged: z.number().int(),
  filesSkipped: z.number().int().describe('Binary, minified, too large or vanished.'),
  filesDeleted: z.number().int(),
  chunks: z.number().int().describe('Chunks written in this pass.'),
  filesPerSecond: z.number(),
  chunksPerSecond: z.number(),
  etaSeconds: z.number().nullable(),
  elapsedMs: z.number().int(),
  truncated: z.boolean().describe('The workspace has more files than DISCO_RAG_MAX_FILES.'),
});

export const IndexStatusSchema = z.object({
  container: z.string(),
  state: z.enum(['none', 'indexing', 'ready', 'cancelled', 'failed']),
  embedder: z.object({ id: z.string(), dimension: z.number().int() }).nullable(),
  files: z.number().int().describe('Files in the index (as of the last finished pass).'),
  chunks: z.number().int(),
  progress: ProgressSchema.nullable().describe('The running pass, or the last one since the daemon started.'),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  error: z.string().nullable(),
});

export const ragIndex = defineContract({
  name: 'rag_index',
  target: 'container',
  area: 'search',
  changesWorkspace: false,
  title: 'Index a container for search',
  description:
    "Use before rag_search: builds or refreshes a container's code index (functions, classes, sections). " +
    'action: start (background, incremental; wait: true to wait with progress), status, or cancel; force: ' +
    'true rebuilds.',
  method: 'POST',
  path: '/rag/index',
  input: z.object({
    container: containerRef,
    action: z.enum(['start', 'status', 'cancel']).default('start'),
    force: z.boolean().default(false).describe('Drop the index and rebuild it (start only).'),
    wait: z.boolean().default(false).describe('Return when the pass ends, reporting progress meanwhile.'),
  }),
  output: IndexStatusSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'files:read',
});

export const HitSchema = z.object({
  path: z.string(),
  startLine: z.number().int(),
  endLine: z.number().int(),
  symbol: z.string().nullable().describe('Function, class, method (Class.method) or heading the chunk holds.'),
  kind: z.string(),
  language: z.string(),
  snippet: z.string().describe('Up to 8 lines of the chunk around the best match.'),
  snippetStartLine: z.number().int(),
  score: z.number().describe('Fused score; higher is better.'),
  bm25: z.object({ score: z.number(), rank: z.number().int() }).nullable(),
  vector: z.object({ similarity: z.number(), rank: z.number().int() }).nullable(),
});

export const ragSearch = defineContract({
  name: 'rag_search',
  target: 'container',
  area: 'search',
  changesWorkspace: false,
  title: 'Search code and docs',
  description:
    'Use to find the code or docs that answer a question or name an identifier ("where is the retry ' +
    'backoff computed"): ranked functions, classes and sections with path, line range and snippet. Filter ' +
    'by path glob and language. Needs rag_index.',
  method: 'POST',
  path: '/rag/search',
  input: z.object({
    container: containerRef,
    query: z.string().min(1).max(2000),
    k: z.number().int().min(1).max(50).default(10).describe('Results to return (at most 50).'),
    mode: z.enum(['hybrid', 'bm25', 'vector']).default('hybrid'),
    path: z.string().min(1).max(1000).optional().describe("Glob over workspace paths, e.g. 'src/**/*.ts'."),
    language: z
      .string()
      .min(1)
      .max(40)
      .optional()
      .describe(`One of: ${LANGUAGES.join(', ')}.`),
  }),
  output: z.object({
    container: z.string(),
    mode: z.enum(['hybrid', 'bm25', 'vector']),
    results: z.array(HitSchema),
    warnings: z.array(z.string()),
    tookMs: z.number(),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  scope: 'files:read',
  view: 'search',
});

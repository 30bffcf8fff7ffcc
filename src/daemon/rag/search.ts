import type { ChunkRow, IndexRow, RagRepo, SearchFilter } from '../db/rag-repo.js';
import { DiscoError } from '../errors.js';
import { bytesVector, dot, type Embedder, vectorBytes } from './embedder.js';
import { ftsMatchExpression, queryTerms } from './tokens.js';

export type SearchMode = 'hybrid' | 'bm25' | 'vector';

export interface SearchOptions {
  k: number;
  mode: SearchMode;
  language?: string | undefined;
  /** Glob over workspace paths, e.g. `src/**` or `*.ts` (a pattern without `/` matches file names anywhere). */
  path?: string | undefined;
}

export interface SearchHit {
  path: string;
  startLine: number;
  endLine: number;
  symbol: string | null;
  kind: string;
  language: string;
  /** The lines of the chunk that best match the query. */
  snippet: string;
  snippetStartLine: number;
  /** Fused score (reciprocal rank fusion); higher is better. */
  score: number;
  bm25: { score: number; rank: number } | null;
  vector: { similarity: number; rank: number } | null;
  chunkId: number;
}

export interface SearchResult {
  mode: SearchMode;
  results: SearchHit[];
  warnings: string[];
  tookMs: number;
}

/**
 * Reciprocal rank fusion: score = Σ w / (K + rank). K = 60 is the constant of the original RRF paper;
 * the weights come from the sweep in bench/rag-eval.mjs: with the hashed embedder the lexical list is
 * the stronger one (MRR 0.27 vs 0.16), equal weights pulled MRR below BM25 alone, a vector weight of 0.25
 * keeps BM25's MRR and adds recall@5. Re-run the sweep when changing the embedder.
 */
export const RRF_K = 60;
export const FUSION_WEIGHTS = { bm25: 1, vector: 0.25 };

/** Candidates taken from each list before fusion. */
const candidatesFor = (k: number) => Math.max(50, k * 5);

/**
 * Perf: vec0's KNN cost grows with (chunks × k), so the binary-quantised coarse pass asks for more
 * candidates on small indexes and fewer on big ones; candidates are then re-scored with full vectors.
 */
export const coarseCandidates = (chunks: number) =>
  Math.min(800, Math.max(100, Math.floor(10_000_000 / Math.max(1, chunks))));

/** When a filter leaves at most this many chunks, they are all scored exactly instead. */
const EXACT_FILTERED_MAX = 5000;

export class HybridSearch {
  constructor(
    private readonly repo: RagRepo,
    private readonly embedder: Embedder,
  ) {}

  async search(
    row: IndexRow | undefined,
    query: string,
    opts: SearchOptions,
    signal?: AbortSignal,
  ): Promise<SearchResult> {
    const started = performance.now();
    if (!row) {
      // `missing: 'index'` lets each surface name its own way to build one (the CLI says `disco index <c>`).
      throw new DiscoError('not_found', 'this container has no search index yet: build one with rag_index', {
        missing: 'index',
      });
    }
    const warnings: string[] = [];
    let mode = opts.mode;
    if (mode !== 'bm25' && row.embedder !== this.embedder.id) {
      if (mode === 'vector') {
        throw new DiscoError(
          'conflict',
          `the index was built with ${row.embedder}; re-index to search with ${this.embedder.id}`,
        );
      }
      warnings.push(
        `vectors come from ${row.embedder}, not the configured ${this.embedder.id}: keyword ranking only until re-indexed`,
      );
      mode = 'bm25';
    }
    const filter: SearchFilter = { language: opts.language, pathGlob: opts.path };
    const n = candidatesFor(opts.k);
    const lexical = mode === 'vector' ? [] : this.lexical(row.id, query, n, filter);
    const semantic = mode === 'bm25' ? [] : await this.semantic(row, query, n, filter, signal);
    const fused = fuse(lexical, semantic, mode).slice(0, opts.k);
    const rows = this.repo.chunks(fused.map((f) => f.id));
    const terms = queryTerms(query);
    const results: SearchHit[] = [];
    for (const f of fused) {
      const c = rows.get(f.id);
      if (!c) continue;
      const snip = snippet(c, terms);
      results.push({
        path: c.path,
        startLine: c.startLine,
        endLine: c.endLine,
        symbol: c.symbol,
        kind: c.kind,
        language: c.language,
        snippet: snip.text,
        snippetStartLine: snip.startLine,
        score: round(f.score, 6),
        bm25: f.bm25 ? { score: round(-f.bm25.score, 4), rank: f.bm25.rank } : null,
        vector: f.vector ? { similarity: round(f.vector.score, 4), rank: f.vector.rank } : null,
        chunkId: f.id,
      });
    }
    return { mode, results, warnings, tookMs: round(performance.now() - started, 2) };
  }

  private lexical(indexId: number, query: string, n: number, filter: SearchFilter): { id: number; score: number }[] {
    const match = ftsMatchExpression(query);
    return match ? this.repo.bm25(indexId, match, n, filter) : [];
  }

  private async semantic(
    row: IndexRow,
    query: string,
    n: number,
    filter: SearchFilter,
    signal?: AbortSignal,
  ): Promise<{ id: number; score: number }[]> {
    const [qv] = await this.embedder.embed([query], signal);
    if (!qv) return [];
    const filtered = filter.language !== undefined || filter.pathGlob !== undefined;
    let candidates = filtered ? this.repo.vectorsWhere(row.id, filter, EXACT_FILTERED_MAX) : undefined;
    if (!candidates) {
      const ids = this.repo.knnCoarse(row.id, vectorBytes(qv), coarseCandidates(row.chunks), filter.language);
      candidates = this.repo.vectors(ids);
      if (filter.pathGlob !== undefined) {
        const match = this.repo.matcher(filter.pathGlob);
        candidates = candidates.filter((c) => match(c.path));
      }
    }
    return candidates
      .map((c) => ({ id: c.id, score: dot(qv, bytesVector(c.vector)) }))
      .filter((c) => c.score > 0)
      .sort((a, b) => b.score - a.score)
      .slice(0, n);
  }
}

interface Fused {
  id: number;
  score: number;
  bm25?: { score: number; rank: number };
  vector?: { score: number; rank: number };
}

/** Fuses the two ranked lists (1-based ranks); a single-mode search keeps its own order. */
export function fuse(
  lexical: readonly { id: number; score: number }[],
  semantic: readonly { id: number; score: number }[],
  mode: SearchMode,
  weights = FUSION_WEIGHTS,
): Fused[] {
  const byId = new Map<number, Fused>();
  const get = (id: number) => {
    let f = byId.get(id);
    if (!f) {
      f = { id, score: 0 };
      byId.set(id, f);
    }
    return f;
  };
  lexical.forEach((r, i) => {
    const f = get(r.id);
    f.bm25 = { score: r.score, rank: i + 1 };
    f.score += mode === 'bm25' ? -r.score : weights.bm25 / (RRF_K + i + 1);
  });
  semantic.forEach((r, i) => {
    const f = get(r.id);
    f.vector = { score: r.score, rank: i + 1 };
    f.score += mode === 'vector' ? r.score : weights.vector / (RRF_K + i + 1);
  });
  return [...byId.values()].sort((a, b) => b.score - a.score || a.id - b.id);
}

/** Up to 8 lines of the chunk around the line holding the most query terms (the top when none does). */
export function snippet(c: ChunkRow, terms: readonly string[]): { text: string; startLine: number } {
  const lines = c.content.split('\n');
  let best = 0;
  let bestHits = 0;
  for (let i = 0; i < lines.length; i++) {
    const l = (lines[i] as string).toLowerCase();
    let hits = 0;
    for (const t of terms) if (l.includes(t)) hits++;
    if (hits > bestHits) {
      bestHits = hits;
      best = i;
    }
  }
  const from = Math.max(0, best - 2);
  let text = lines.slice(from, from + 8).join('\n');
  if (text.length > 800) text = `${text.slice(0, 800)}…`;
  return { text, startLine: c.startLine + from };
}

const round = (n: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

import type { ChunkRow, IndexRow, SearchFilter } from '../db/rag-rows.js';
import type { RagSearchRepo } from '../db/rag-search-repo.js';
import { DiscoError } from '../errors.js';
import { bytesVector, dot, type Embedder } from './embedder.js';
import { baseVectorWeight, fuse, type Ranked, vectorWeight } from './fusion.js';
import { DEFAULT_RANKING, type Ranking } from './ranking.js';
import { hasTermTable, Reranker } from './rerank.js';
import { TermShares } from './term-shares.js';
import { ftsMatchExpression, queryTerms } from './tokens.js';
import { localVectorHalf, type VectorHalf, type VectorHalfRunner } from './vector-half.js';

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
  /** Fused score (fusion.ts); higher is better. */
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

/** Candidates taken from each list before fusion. */
const candidatesFor = (k: number) => Math.max(50, k * 5);

export class HybridSearch {
  private readonly shares: TermShares;
  private readonly vectorHalf: VectorHalfRunner;

  /** `vectorHalf`: where the vector half runs (default: here, after the keyword half). */
  constructor(
    private readonly repo: RagSearchRepo,
    private readonly embedder: Embedder,
    vectorHalf?: VectorHalfRunner,
  ) {
    this.shares = new TermShares((id, term) => repo.termDocs(id, term));
    this.vectorHalf = vectorHalf ?? localVectorHalf(repo, embedder);
  }

  async search(
    row: IndexRow | undefined,
    query: string,
    opts: SearchOptions,
    signal?: AbortSignal,
    ranking: Ranking = DEFAULT_RANKING,
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
    // The vector half starts first: when it runs in a thread of its own, both halves run at once.
    const pending: Promise<VectorHalf> =
      mode === 'bm25' ? Promise.resolve({ list: [] }) : this.vectorHalf(row, query, n, filter, signal);
    let lexical: Ranked[];
    try {
      lexical = mode === 'vector' ? [] : this.lexical(row, query, n, filter, ranking);
    } catch (err) {
      pending.catch(() => {}); // its own failure is moot once this one is thrown
      throw err;
    }
    const semantic = await pending;
    const cosine = mode === 'hybrid' ? this.cosineOfMissing(lexical, semantic) : undefined;
    const base = baseVectorWeight(this.embedder.id, ranking);
    const weight = vectorWeight(base, lexical, semantic.list, ranking.agreementFullAt);
    let fused = fuse(lexical, semantic.list, mode, weight, cosine);
    let rows: Map<number, ChunkRow> | undefined;
    if (mode === 'hybrid' && ranking.rerank.depth > 0 && hasTermTable(this.embedder) && fused.length > 1) {
      // Second stage (rerank.ts): the best candidates re-scored term by term; the rest stay below them.
      const head = fused.slice(0, Math.max(ranking.rerank.depth, opts.k));
      const got = this.repo.chunks(head.map((f) => f.id));
      const e = this.embedder;
      const qv = semantic.qv;
      const vectors = qv ? { query: qv, embed: (text: string) => e.embedOne(text) } : undefined;
      const reranker = new Reranker(query, e.termTable(), ranking.rerank, vectors);
      fused = reranker.rerank(
        head.map((f) => ({
          ...f,
          symbol: got.get(f.id)?.symbol ?? null,
          content: got.get(f.id)?.content ?? '',
          cosine: f.vector?.score ?? cosine?.get(f.id),
        })),
      );
      rows = got;
    }
    fused = fused.slice(0, opts.k);
    rows ??= this.repo.chunks(fused.map((f) => f.id));
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
        bm25: f.bm25 ? { score: round(f.bm25.score, 4), rank: f.bm25.rank } : null,
        vector: f.vector ? { similarity: round(f.vector.score, 4), rank: f.vector.rank } : null,
        chunkId: f.id,
      });
    }
    return { mode, results, warnings, tookMs: round(performance.now() - started, 2) };
  }

  /** BM25 candidates, best first, scores positive (FTS5's bm25() is lower-is-better). */
  private lexical(row: IndexRow, query: string, n: number, filter: SearchFilter, ranking: Ranking): Ranked[] {
    const common =
      ranking.commonTermShare > 0 && row.chunks >= ranking.commonTermMinChunks
        ? this.shares.commonIn(row, ranking.commonTermShare)
        : undefined;
    const match = ftsMatchExpression(query, ranking.match, common);
    if (!match) return [];
    return this.repo
      .bm25(row.id, match, n, filter, { weights: ranking.columns, glue: ranking.glue })
      .map((r) => ({ id: r.id, score: -r.score }));
  }

  /** Exact cosine of the BM25 candidates the vector list left out, so vectors can re-rank them all. */
  private cosineOfMissing(lexical: readonly Ranked[], semantic: VectorHalf) {
    const out = new Map<number, number>();
    const qv = semantic.qv;
    if (!qv) return out;
    const have = new Set(semantic.list.map((r) => r.id));
    const missing = lexical.filter((r) => !have.has(r.id)).map((r) => r.id);
    for (const c of this.repo.vectors(missing)) out.set(c.id, dot(qv, bytesVector(c.vector)));
    return out;
  }
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

/**
 * Every constant of a search's ranking, in one frozen value. Each was chosen on the tune half of
 * bench/rag-eval (bench/rag-tune.mjs, which searches with variants of this value; never the report half).
 * A search takes a `Ranking` (the default unless a caller passes another), so nothing changes the
 * constants in place.
 */
import type { RerankOptions } from './rerank.js';
import { DEFAULT_MATCH, type MatchOptions } from './tokens.js';

export interface Ranking {
  /** BM25 weights of the FTS5 columns: the symbol's name and signature, the path, the whole chunk. */
  readonly columns: Readonly<{ symbol: number; path: number; body: number }>;
  /**
   * Factor of a glue chunk's BM25 score (a chunk without a definition: imports, exports, top-level
   * statements). Such chunks name everything a file uses and took a third of the JS/TS top-5 places on the
   * tune half while holding one answer in five; 0.8 lifted JS/TS BM25 recall@5 0.62 → 0.65 and Python
   * 0.69 → 0.74, Go unchanged.
   */
  readonly glue: number;
  /** Query expansions (joined word pairs, code forms of verbs): see `MatchOptions`. */
  readonly match: Readonly<MatchOptions>;
  /**
   * Vector weight for an embedder whose id starts with the key (the longest matching key wins); `fusion.ts`
   * says why each value. An embedder not listed gets `defaultVectorWeight`.
   */
  readonly vectorWeightByEmbedder: Readonly<Record<string, number>>;
  readonly defaultVectorWeight: number;
  /**
   * With a value > 0 the vector weight scales with agreement / value (capped at 1): how many of BM25's top
   * 10 the vectors also put in their top 10. 0 turns the factor off (no setting tried beat it).
   */
  readonly agreementFullAt: number;
  /**
   * In an index of at least `commonTermMinChunks` chunks, a query term held by at least `commonTermShare`
   * of them is matched in symbols and signatures only (share 0: everywhere). Such terms ("return", "type",
   * "value": ~40 % of chunks at 109k) add little to a BM25 score but make FTS5 score most of the index
   * (BM25 p95 at 109k chunks −21 %). It trades a little ranking for speed, so only where the speed is
   * missing: forced on in the small tune-half indexes it cost Go 3 queries of 100 (recall@5 0.66 → 0.63)
   * and gave Python one.
   */
  readonly commonTermShare: number;
  readonly commonTermMinChunks: number;
  /**
   * The second stage of a hybrid search with the static embedder (rerank.ts): MaxSim of the query's terms
   * against each of the fused list's best `depth` candidates' name, signature and rarest body terms.
   * Depth 0 turns it off. Tune half (bench/rag-tune.mjs), hybrid recall@5 without → with it: JS/TS
   * 0.64 → 0.69, Python 0.74 → 0.77, Go 0.59 → 0.66; only candidates already in the fused top 15 ever
   * reached the top 5 (depth 15–50 measure the same). See docs/rag.md for the held-out figures.
   * `headVec` adds the cosine of the query's vector with the vector of the candidate's name and signature
   * line (a chunk without a name: its own cosine). Tune half, hybrid recall@5 / MRR@10 without → with
   * 1.5: JS/TS 0.69 / 0.505 → 0.68 / 0.530, Python 0.77 / 0.583 → 0.80 / 0.613, Go 0.66 / 0.459 →
   * 0.67 / 0.472 (0.5, 1 and 2 summed less; a nameless chunk embedding its first line instead of taking
   * its own cosine left JS/TS at 0.64: glue chunks hold a fifth of its answers). ~2 ms a query (20 heads
   * embedded).
   */
  readonly rerank: Readonly<RerankOptions>;
}

export const DEFAULT_RANKING: Ranking = Object.freeze({
  columns: Object.freeze({ symbol: 4, path: 2, body: 1 }),
  glue: 0.8,
  match: DEFAULT_MATCH,
  vectorWeightByEmbedder: Object.freeze({ 'disco-hashed-': 0.2, 'disco-static-': 0.7, 'openai:': 1 }),
  defaultVectorWeight: 0.5,
  agreementFullAt: 0,
  commonTermShare: 0.25,
  commonTermMinChunks: 50_000,
  rerank: Object.freeze({
    depth: 20,
    nameSim: 0.8,
    headSim: 0.3,
    bodySim: 1.2,
    bodyTerms: 32,
    floor: 0.2,
    headVec: 1.5,
  }),
});

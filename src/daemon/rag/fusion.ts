/**
 * Fusing BM25 and vector rankings, per query.
 *
 * Why not reciprocal rank fusion (what this replaced): RRF looks at ranks only, and its 1/(60 + rank)
 * curve is so flat that one vote from a weak retriever reorders BM25's whole top 5 — with the hashed
 * embedder the hybrid fell below BM25 alone on every language of bench/rag-eval (JS/TS recall@5 0.49 vs
 * 0.58 on the tune half). Here each list's scores are normalised to [0, 1] within the query (BM25 by its
 * best score, cosine between the weakest and the best vector candidate), and the vector part is added
 * with a weight chosen per query:
 *
 *   score = bm25 / bm25_best + w · (cos − cos_floor) / (cos_best − cos_floor)
 *   w     = base(embedder) · (1 − gap)
 *
 * `gap` is how far BM25's best hit stands above its second ((s1 − s2) / s1): a clear lexical winner (an
 * identifier asked by name, a rare term) keeps its place, a flat BM25 list lets the vectors decide. Every
 * BM25 candidate gets its exact cosine (not only those in the vector list), so vectors re-rank BM25's
 * candidates and add their own below them unless BM25 found little. `base` belongs to the embedder: the
 * hashed one measures shared vocabulary and gets 0.2 (tune half: 0.1–0.3 all ≥ BM25, 0.5+ pulls MRR
 * below it); the static one (the default) 0.7 (bench/rag-tune.mjs on the tune half: the only weight of
 * 0.3/0.5/0.7/1 with the hybrid at or above both single modes on all three languages — 0.5 left JS/TS
 * one query below BM25, 1 two); an embedder that knows meaning (OpenAI-compatible) gets 1. See docs/rag.md.
 */
import { DEFAULT_RANKING, type Ranking } from './ranking.js';
import type { SearchMode } from './search.js';

export interface Ranked {
  id: number;
  /** BM25: higher is better (FTS5's bm25() negated); vectors: cosine similarity. */
  score: number;
}

export interface Fused {
  id: number;
  score: number;
  bm25?: { score: number; rank: number };
  vector?: { score: number; rank: number };
}

/** The ranking's vector weight for an embedder: the longest key its id starts with, else the default. */
export function baseVectorWeight(embedderId: string, ranking: Ranking = DEFAULT_RANKING): number {
  let best = '';
  for (const k of Object.keys(ranking.vectorWeightByEmbedder))
    if (embedderId.startsWith(k) && k.length > best.length) best = k;
  return best ? (ranking.vectorWeightByEmbedder[best] as number) : ranking.defaultVectorWeight;
}

/** How clearly BM25's best hit leads: (s1 − s2) / s1 in [0, 1]; 1 with a single hit, 0 with none. */
export function bm25Gap(lexical: readonly Ranked[]): number {
  const s1 = lexical[0]?.score;
  if (s1 === undefined || s1 <= 0) return 0;
  const s2 = lexical[1]?.score ?? 0;
  return Math.min(1, Math.max(0, (s1 - s2) / s1));
}

/**
 * Agreement: how many of BM25's top 10 the vectors also put in their top 10. With the ranking's
 * `agreementFullAt` > 0 the vector weight scales with agreement / fullAt (capped at 1): lists that share
 * nothing mean the vectors did not understand this query.
 */
export function agreement(lexical: readonly Ranked[], semantic: readonly Ranked[], k = 10): number {
  const top = new Set(lexical.slice(0, k).map((r) => r.id));
  let n = 0;
  for (const r of semantic.slice(0, k)) if (top.has(r.id)) n++;
  return n;
}

/** The vector weight for one query (see the file comment). */
export function vectorWeight(
  base: number,
  lexical: readonly Ranked[],
  semantic: readonly Ranked[] = [],
  fullAt = DEFAULT_RANKING.agreementFullAt,
): number {
  const agree = fullAt > 0 ? Math.min(1, agreement(lexical, semantic) / fullAt) : 1;
  return base * (1 - bm25Gap(lexical)) * agree;
}

/**
 * Fuses the two lists (each best first). `cosine` holds the exact similarity of BM25 candidates missing
 * from the vector list; without one, such a candidate gets the floor. A single-mode search keeps its own
 * order. Ranks in the result are 1-based positions in each input list.
 */
export function fuse(
  lexical: readonly Ranked[],
  semantic: readonly Ranked[],
  mode: SearchMode,
  weight: number,
  cosine: ReadonlyMap<number, number> = new Map(),
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
    get(r.id).bm25 = { score: r.score, rank: i + 1 };
  });
  semantic.forEach((r, i) => {
    get(r.id).vector = { score: r.score, rank: i + 1 };
  });
  const bestLex = lexical[0]?.score ?? 0;
  const bestCos = semantic[0]?.score ?? 0;
  const floor = semantic.length > 0 ? (semantic[semantic.length - 1] as Ranked).score : 0;
  const span = bestCos - floor;
  for (const f of byId.values()) {
    if (mode === 'bm25') f.score = f.bm25?.score ?? 0;
    else if (mode === 'vector') f.score = f.vector?.score ?? 0;
    else {
      const lex = f.bm25 && bestLex > 0 ? f.bm25.score / bestLex : 0;
      const cos = f.vector?.score ?? cosine.get(f.id) ?? floor;
      const vec = span > 0 ? Math.max(0, (cos - floor) / span) : 0;
      f.score = lex + weight * vec;
    }
  }
  return [...byId.values()].sort((a, b) => b.score - a.score || a.id - b.id);
}

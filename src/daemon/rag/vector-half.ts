import type { IndexRow, SearchFilter } from '../db/rag-rows.js';
import type { RagSearchRepo } from '../db/rag-search-repo.js';
import { bytesVector, dot, type Embedder, vectorBytes } from './embedder.js';
import type { Ranked } from './fusion.js';

/** The vector half of a search: its candidates, best first, and the query's vector (none when empty). */
export interface VectorHalf {
  list: Ranked[];
  qv?: Float32Array;
}

/** What runs a search's vector half: here, or in a thread of its own (vector-thread.ts). */
export type VectorHalfRunner = (
  row: IndexRow,
  query: string,
  n: number,
  filter: SearchFilter,
  signal?: AbortSignal,
) => Promise<VectorHalf>;

/** When a filter leaves at most this many chunks, they are all scored exactly instead. */
const EXACT_FILTERED_MAX = 5000;

/**
 * Perf: vec0's KNN cost grows with (chunks × k), so the binary-quantised coarse pass asks for more
 * candidates on small indexes and fewer on big ones; candidates are then re-scored with full vectors.
 */
export const coarseCandidates = (chunks: number) =>
  Math.min(800, Math.max(100, Math.floor(10_000_000 / Math.max(1, chunks))));

/** The vector half, on this thread: embed the query, take the coarse KNN candidates, score them exactly. */
export function localVectorHalf(repo: RagSearchRepo, embedder: Embedder): VectorHalfRunner {
  return async (row, query, n, filter, signal) => {
    const [qv] = await embedder.embed([query], signal);
    if (!qv) return { list: [] };
    const filtered = filter.language !== undefined || filter.pathGlob !== undefined;
    let candidates = filtered ? repo.vectorsWhere(row.id, filter, EXACT_FILTERED_MAX) : undefined;
    if (!candidates) {
      const ids = repo.knnCoarse(row.id, vectorBytes(qv), coarseCandidates(row.chunks), filter.language);
      candidates = repo.vectors(ids);
      if (filter.pathGlob !== undefined) {
        const match = repo.matcher(filter.pathGlob);
        candidates = candidates.filter((c) => match(c.path));
      }
    }
    const list = candidates
      .map((c) => ({ id: c.id, score: dot(qv, bytesVector(c.vector)) }))
      .filter((c) => c.score > 0)
      .sort((a, b) => b.score - a.score)
      .slice(0, n);
    return { list, qv };
  };
}

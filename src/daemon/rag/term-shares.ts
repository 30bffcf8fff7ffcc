import type { IndexRow } from '../db/rag-rows.js';

/**
 * Terms remembered per index; past this the index's cache starts again. A bound on memory (16 × 5,000 short
 * strings, well under 10 MB) whatever words callers search for, not a tuning.
 */
const MAX_TERMS = 5_000;
/** Indexes remembered; the least recently searched one is forgotten first. */
const MAX_INDEXES = 16;

/**
 * The share of an index's chunks that hold a term, counted once per term and remembered until the index
 * changes (another pass: its chunk count or finish time moves). Perf: counting a term most chunks hold
 * costs as much as the search it is meant to make cheaper, so it must not be repeated per query.
 */
export class TermShares {
  private readonly byIndex = new Map<number, { version: string; docs: Map<string, number> }>();

  constructor(private readonly count: (indexId: number, term: string) => number) {}

  /** A test of "held by at least `share` of the chunks" for one index, as the index is now. */
  commonIn(row: IndexRow, share: number): (term: string) => boolean {
    const version = `${row.chunks}:${row.finishedAt}:${row.state}`;
    let entry = this.byIndex.get(row.id);
    if (entry?.version !== version) entry = { version, docs: new Map() };
    this.byIndex.delete(row.id);
    this.byIndex.set(row.id, entry);
    if (this.byIndex.size > MAX_INDEXES) this.byIndex.delete(this.byIndex.keys().next().value as number);
    const { docs } = entry;
    const limit = share * row.chunks;
    return (term) => {
      let n = docs.get(term);
      if (n === undefined) {
        if (docs.size >= MAX_TERMS) docs.clear();
        n = this.count(row.id, term);
        docs.set(term, n);
      }
      return n >= limit;
    };
  }
}

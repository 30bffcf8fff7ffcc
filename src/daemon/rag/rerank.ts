/**
 * A second stage over the fused list's best candidates (hybrid search with the static embedder): late
 * interaction (MaxSim, as in ColBERT) with the static embedder's learnt term vectors. The chunk vector
 * sums every term of a chunk into one direction, which blurs a long chunk; here each query term
 * (idf-weighted) meets its best match in three sets of the candidate's terms — its symbol name, its
 * symbol name and signature line, and its rarest body terms:
 *
 *   sim(q, D)  = max over d in D of max(0, (cos(q, d) − floor) / (1 − floor))   (an exact match gives 1)
 *   feature(D) = Σ idf(q) · sim(q, D) / Σ idf(q)                               (in [0, 1])
 *   score     += nameSim · feature(name) + headSim · feature(name + signature) + bodySim · feature(body)
 *                + headVec · cos(query vector, vector of name + signature)
 *
 * The last term is the embedder's own sentence-level view of the head: the query's vector against the
 * vector of the candidate's name and signature line, embedded on the spot (a glue chunk, which has no
 * name, takes its whole chunk's cosine). The chunk's vector sums its whole body; this one says what the
 * definition is called and takes.
 *
 * No training data and no network: the term rows are the ones the static embedder already holds. The
 * constants live in `Ranking.rerank` (ranking.ts), chosen on the tune half of bench/rag-eval.
 */
import { dot } from './embedder.js';
import { termsOf } from './hashed-embedder.js';
import { signatureLine, type Token, tokenize } from './tokens.js';

/** The static embedder's term rows (static-embedder.ts `termTable()`). */
export interface TermTable {
  /** Stemmed term → row. */
  readonly index: ReadonlyMap<string, number>;
  readonly idf: Float32Array;
  /** `dim` floats per row. */
  readonly rows: Float32Array;
  /** 1 / |row| per row. */
  readonly invNorm: Float32Array;
  readonly dim: number;
}

/** An embedder that can lend its term table to the re-ranker and embed a head synchronously. */
export interface HasTermTable {
  termTable(): TermTable;
  embedOne(text: string): Float32Array;
}

export const hasTermTable = (e: object): e is HasTermTable =>
  typeof (e as Partial<HasTermTable>).termTable === 'function' &&
  typeof (e as Partial<HasTermTable>).embedOne === 'function';

/** The query's vector and the embedder that made it, for the head-vector feature. */
export interface HeadVectors {
  query: Float32Array;
  embed(text: string): Float32Array;
}

export interface RerankOptions {
  /** How many of the fused list's best are re-scored (0: the re-ranker is off). */
  readonly depth: number;
  /** Weight of the MaxSim over the symbol name's terms. */
  readonly nameSim: number;
  /** Weight of the MaxSim over the symbol name and signature line's terms. */
  readonly headSim: number;
  /** Weight of the MaxSim over the body's rarest terms. */
  readonly bodySim: number;
  /** How many body terms (the rarest by idf) take part. */
  readonly bodyTerms: number;
  /** Cosines at or below this count as no match; above it they are rescaled to (0, 1]. */
  readonly floor: number;
  /** Weight of the cosine between the query's vector and the vector of the name and signature line. */
  readonly headVec: number;
}

export const RERANK_OFF: Readonly<RerankOptions> = Object.freeze({
  depth: 0,
  nameSim: 0,
  headSim: 0,
  bodySim: 0,
  bodyTerms: 0,
  floor: 0,
  headVec: 0,
});

/** What the re-ranker reads of a candidate. */
export interface RerankCandidate {
  id: number;
  score: number;
  symbol: string | null;
  content: string;
  /** The chunk's exact cosine with the query (the head-vector feature of a chunk without a name). */
  cosine?: number | undefined;
}

export interface RerankFeatures {
  nameSim: number;
  headSim: number;
  bodySim: number;
  headVec: number;
}

interface QueryTerm {
  term: string;
  row: number | undefined;
  weight: number;
  /** Similarity to each table row seen so far (per query: candidates share most of their terms). */
  cache: Map<number, number>;
}

/** A candidate's terms: distinct table rows, and the query's unknown terms it holds (they match exactly only). */
interface DocTerms {
  rows: number[];
  unknown: Set<string>;
}

/** A token's stemmed terms as table rows, plus those the table lacks. */
interface TokenTerms {
  rows: number[];
  unknown: string[];
}

/**
 * Perf: tokens are shared objects (tokens.ts caches them), so each distinct token is stemmed and looked
 * up once, not at every occurrence in every candidate.
 */
const TOKEN_TERMS = new WeakMap<TermTable, WeakMap<Token, TokenTerms>>();
const MAX_IDF = new WeakMap<TermTable, number>();

/** A term the table does not know weighs as much as its rarest known term (an unknown word is rare). */
function maxIdf(table: TermTable): number {
  let m = MAX_IDF.get(table);
  if (m === undefined) {
    m = 0;
    for (const v of table.idf) if (v > m) m = v;
    MAX_IDF.set(table, m);
  }
  return m;
}

export class Reranker {
  private readonly terms: QueryTerm[];
  private readonly total: number;
  private readonly unknownQueryTerms: Set<string>;
  private readonly tokenTerms: WeakMap<Token, TokenTerms>;
  /** Per-row markers: a row's last document (dedup) and whether it was kept (exact matches). */
  private readonly seen: Uint32Array;
  private readonly kept: Uint32Array;
  private doc = 0;

  constructor(
    query: string,
    private readonly table: TermTable,
    private readonly opts: Readonly<RerankOptions>,
    private readonly head?: HeadVectors,
  ) {
    const unknown = maxIdf(table);
    this.terms = [...termsOf(tokenize(query)).terms.keys()].map((term) => {
      const row = table.index.get(term);
      return { term, row, weight: row === undefined ? unknown : (table.idf[row] as number), cache: new Map() };
    });
    this.total = this.terms.reduce((s, t) => s + t.weight, 0);
    this.unknownQueryTerms = new Set(this.terms.filter((t) => t.row === undefined).map((t) => t.term));
    let cache = TOKEN_TERMS.get(table);
    if (!cache) {
      cache = new WeakMap();
      TOKEN_TERMS.set(table, cache);
    }
    this.tokenTerms = cache;
    this.seen = new Uint32Array(table.idf.length);
    this.kept = new Uint32Array(table.idf.length);
  }

  /**
   * The candidate's features (0 for a feature whose weight is 0): the MaxSims in [0, 1], the head vector's
   * cosine in [−1, 1].
   */
  features(c: { symbol: string | null; content: string; cosine?: number | undefined }): RerankFeatures {
    const o = this.opts;
    const f: RerankFeatures = { nameSim: 0, headSim: 0, bodySim: 0, headVec: 0 };
    const sig = o.headSim !== 0 || o.headVec !== 0 ? signatureLine(c.content) : '';
    if (o.headVec !== 0 && this.head) {
      f.headVec = c.symbol ? dot(this.head.query, this.head.embed(`${c.symbol}\n${sig}`)) : (c.cosine ?? 0);
    }
    if (this.total <= 0) return f;
    if (o.nameSim !== 0 && c.symbol) f.nameSim = this.maxSim(this.docTerms(c.symbol));
    if (o.headSim !== 0) f.headSim = this.maxSim(this.docTerms(c.symbol ? `${c.symbol}\n${sig}` : sig));
    if (o.bodySim !== 0 && o.bodyTerms > 0) f.bodySim = this.maxSim(this.docTerms(c.content, o.bodyTerms));
    return f;
  }

  /** The candidates re-scored and re-sorted (best first); each `score` gains its weighted features. */
  rerank<T extends RerankCandidate>(candidates: readonly T[]): T[] {
    const o = this.opts;
    const out = candidates.map((c) => {
      const f = this.features(c);
      const gain = o.nameSim * f.nameSim + o.headSim * f.headSim + o.bodySim * f.bodySim + o.headVec * f.headVec;
      return { ...c, score: c.score + gain };
    });
    return out.sort((a, b) => b.score - a.score || a.id - b.id);
  }

  /**
   * A text's distinct terms (stemmed, as the table keys them), in order of first use; with `limit`, only
   * that many of the rarest known ones (by idf; they carry the meaning). Unknown terms count only when the
   * query has them.
   */
  private docTerms(text: string, limit = Number.POSITIVE_INFINITY): DocTerms {
    const doc = ++this.doc;
    const rows: number[] = [];
    const unknown = new Set<string>();
    for (const t of tokenize(text)) {
      const x = this.termsOfToken(t);
      for (const r of x.rows) {
        if (this.seen[r] === doc) continue;
        this.seen[r] = doc;
        rows.push(r);
      }
      if (this.unknownQueryTerms.size > 0) for (const u of x.unknown) if (this.unknownQueryTerms.has(u)) unknown.add(u);
    }
    if (rows.length > limit) {
      const idf = this.table.idf;
      rows.sort((a, b) => (idf[b] as number) - (idf[a] as number));
      rows.length = limit;
    }
    for (const r of rows) this.kept[r] = doc;
    return { rows, unknown };
  }

  private termsOfToken(t: Token): TokenTerms {
    let x = this.tokenTerms.get(t);
    if (!x) {
      x = { rows: [], unknown: [] };
      for (const term of termsOf([t]).terms.keys()) {
        const r = this.table.index.get(term);
        if (r === undefined) x.unknown.push(term);
        else x.rows.push(r);
      }
      this.tokenTerms.set(t, x);
    }
    return x;
  }

  /** Σ idf(q) · best similarity of q in the document / Σ idf(q); the document is the last `docTerms`. */
  private maxSim(d: DocTerms): number {
    if (d.rows.length === 0 && d.unknown.size === 0) return 0;
    let sum = 0;
    for (const q of this.terms) {
      if (q.row === undefined) {
        if (d.unknown.has(q.term)) sum += q.weight;
        continue;
      }
      if (this.kept[q.row] === this.doc) {
        sum += q.weight;
        continue;
      }
      let best = 0;
      for (const r of d.rows) {
        const s = this.sim(q, r);
        if (s > best) best = s;
      }
      sum += q.weight * best;
    }
    return sum / this.total;
  }

  private sim(q: QueryTerm, row: number): number {
    const hit = q.cache.get(row);
    if (hit !== undefined) return hit;
    const t = this.table;
    const qr = q.row as number;
    const a = qr * t.dim;
    const b = row * t.dim;
    let dot = 0;
    for (let k = 0; k < t.dim; k++) dot += (t.rows[a + k] as number) * (t.rows[b + k] as number);
    const cos = dot * (t.invNorm[qr] as number) * (t.invNorm[row] as number);
    const floor = this.opts.floor;
    const s = cos > floor ? (cos - floor) / (1 - floor) : 0;
    q.cache.set(row, s);
    return s;
  }
}

import type { Embedder } from './embedder.js';
import { type Token, tokenize } from './tokens.js';

export { stem } from './tokens.js';

/**
 * The embedded default: a hashed bag of code-aware features, no model, no download, no network.
 *
 * Why: no npm package ships sentence-embedding weights that run offline at indexing speed (the one that
 * does, Universal Sentence Encoder lite, embeds ~12 chunks/s — a 2,000-file repository would take half an
 * hour). This embeds ~15,000 chunks/s in plain JavaScript.
 *
 * Features per text: each word's camelCase/snake_case parts (lightly stemmed: `parses`, `parsed`,
 * `parsing` → `pars`), each whole multi-part identifier, and character trigrams of the parts (so `config`
 * meets `configuration`, `auth` meets `authenticate`). Each feature is hashed to two signed dimensions
 * (feature hashing, weights 1 + ln tf), and the vector is L2-normalised: cosine similarity then measures
 * shared vocabulary, weighted toward what a chunk is mostly about. It captures lexical, not semantic,
 * similarity — synonyms with no shared sub-word do not meet — which is why search fuses it with BM25.
 */
export class HashedEmbedder implements Embedder {
  readonly id: string;
  private readonly slots = new Map<string, Int32Array>();
  private readonly identSlots = new Map<string, number>();

  constructor(readonly dim = 384) {
    this.id = `disco-hashed-v1-${dim}`;
  }

  async dimension(): Promise<number> {
    return this.dim;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((t) => this.embedOne(t));
  }

  embedOne(text: string): Float32Array {
    return this.embedTokens(tokenize(text));
  }

  /** Perf: the indexer tokenizes each chunk once for both FTS5 and this embedder. */
  embedTokens(tokens: readonly Token[]): Float32Array {
    return this.embedTerms(termsOf(tokens));
  }

  /** The vector of terms already counted (the static embedder counts them once for both its halves). */
  embedTerms({ terms, idents }: Terms): Float32Array {
    const v = new Float32Array(this.dim);
    for (const [term, tf] of terms) {
      const w = 1 + Math.log(tf);
      const slots = this.termSlots(term);
      addSlot(v, slots[0] as number, w);
      addSlot(v, slots[1] as number, w);
      if (slots.length > 2) {
        // `^term$`'s trigrams share 0.6 of the weight: (w × 0.6) / (padded length − 2).
        const tw = (w * 0.6) / term.length;
        for (let i = 2; i < slots.length; i++) addSlot(v, slots[i] as number, tw);
      }
    }
    for (const [ident, tf] of idents) addSlot(v, this.identSlot(ident), 0.7 * (1 + Math.log(tf)));
    let norm = 0;
    for (let i = 0; i < v.length; i++) norm += (v[i] as number) * (v[i] as number);
    if (norm > 0) {
      const inv = 1 / Math.sqrt(norm);
      for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) * inv;
    }
    return v;
  }

  /**
   * Perf: a term's hashed slots (its two term features, then the trigrams of `^term$` when it has 4
   * characters or more), hashed once per distinct term: code repeats its terms endlessly.
   */
  private termSlots(term: string): Int32Array {
    let slots = this.slots.get(term);
    if (slots === undefined) {
      const grams = term.length >= 4 ? term.length : 0;
      slots = new Int32Array(2 + grams);
      slots[0] = this.slot(term, SEED_TERM);
      slots[1] = this.slot(term, SEED_TERM2);
      const padded = `^${term}$`;
      for (let i = 0; i < grams; i++) slots[2 + i] = this.slot(padded.slice(i, i + 3), SEED_GRAM);
      if (this.slots.size >= SLOT_CACHE_MAX) this.slots.clear();
      this.slots.set(term, slots);
    }
    return slots;
  }

  private identSlot(ident: string): number {
    let slot = this.identSlots.get(ident);
    if (slot === undefined) {
      slot = this.slot(ident, SEED_IDENT);
      if (this.identSlots.size >= SLOT_CACHE_MAX) this.identSlots.clear();
      this.identSlots.set(ident, slot);
    }
    return slot;
  }

  /** A feature's dimension and sign, as `index << 1 | negative`. */
  private slot(feature: string, seed: number): number {
    const h = hash32(feature, seed);
    return ((h % this.dim) << 1) | (h & 0x80000000 ? 1 : 0);
  }
}

const SLOT_CACHE_MAX = 200_000;

function addSlot(v: Float32Array, slot: number, weight: number): void {
  const i = slot >> 1;
  v[i] = (v[i] as number) + (slot & 1 ? -weight : weight);
}

/** A text's features: stemmed words and camelCase/snake_case parts, and whole multi-part identifiers, with counts. */
export interface Terms {
  terms: Map<string, number>;
  idents: Map<string, number>;
}

export function termsOf(tokens: readonly Token[]): Terms {
  const terms = new Map<string, number>();
  const idents = new Map<string, number>();
  for (const t of tokens) {
    if (t.parts.length > 0) bump(idents, t.word);
    for (const term of t.stems) bump(terms, term);
  }
  return { terms, idents };
}

const SEED_TERM = 0x9e3779b9;
const SEED_TERM2 = 0x7f4a7c15;
const SEED_GRAM = 0x85ebca6b;
const SEED_IDENT = 0xc2b2ae35;

function bump(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

/** FNV-1a with a seed, then murmur3's finaliser so low and high bits are both well mixed. */
export function hash32(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

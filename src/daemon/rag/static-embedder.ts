import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DiscoError } from '../errors.js';
import type { Embedder } from './embedder.js';
import { HashedEmbedder, termsOf } from './hashed-embedder.js';
import type { TermTable } from './rerank.js';
import { type Token, tokenize } from './tokens.js';

/** The trained table shipped with the package (scripts/train-embedder/train.mjs writes it). */
export const STATIC_EMBEDDER_FILE = fileURLToPath(new URL('../../../assets/embedder/static-v1.bin', import.meta.url));

/** Share of the similarity that comes from shared vocabulary (the hashed part); the rest from meaning. */
export const LEXICAL_SHARE = 0.5;

interface Header {
  format: string;
  version: number;
  /** Content hash of the table, so a retrained table re-embeds existing indexes. */
  id: string;
  dim: number;
  vocab: number;
  vocabBytes: number;
}

interface Table {
  index: Map<string, number>;
  idf: Float32Array;
  /** The int8 rows times their scales, unpacked once (~6 MB for 12k × 128): the inner loop is then plain floats. */
  rows: Float32Array;
  mean: Float32Array;
}

/** The embedded table is missing or damaged (a broken install): indexing and vector search stop with this. */
export class EmbedderAssetError extends DiscoError {
  constructor(message: string, file: string) {
    super('unavailable', message, { file });
  }
}

/**
 * The embedded default: static token embeddings learnt from (doc comment, code) pairs of ~1,000
 * permissively licensed packages (docs/rag.md), so a question's words ("remove a file") land near the
 * code that does it (`unlink`), plus the hashed embedder's shared-vocabulary features. No network, no
 * model runtime: a text's vector is the idf-weighted sum of its terms' rows of a 1.7 MB int8 table (unpacked to floats on load), next to
 * the hashed vector; both halves are unit length and weighted so a dot product is
 * LEXICAL_SHARE × lexical similarity + (1 − LEXICAL_SHARE) × learnt similarity.
 *
 * The table is read lazily (first embed), so building one to learn its id costs only the header.
 */
export class StaticEmbedder implements Embedder {
  readonly id: string;
  private readonly header: Header;
  private readonly hashed: HashedEmbedder;
  private table: Table | undefined;
  private terms: TermTable | undefined;
  private readonly lexical: number;
  private readonly semantic: number;

  /** `lexicalShare` other than the default is for the training tools (an id of its own). */
  constructor(
    hashedDimension: number,
    private readonly file = STATIC_EMBEDDER_FILE,
    lexicalShare = LEXICAL_SHARE,
  ) {
    this.header = readHeader(file).header;
    this.hashed = new HashedEmbedder(hashedDimension);
    this.lexical = Math.sqrt(lexicalShare);
    this.semantic = Math.sqrt(1 - lexicalShare);
    const share = lexicalShare === LEXICAL_SHARE ? '' : `-l${lexicalShare}`;
    this.id = `disco-static-v1-${this.header.id}-${hashedDimension}+${this.header.dim}${share}`;
  }

  async dimension(): Promise<number> {
    return this.dim();
  }

  dim(): number {
    return this.hashed.dim + this.header.dim;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((t) => this.embedOne(t));
  }

  embedOne(text: string): Float32Array {
    return this.embedTokens(tokenize(text));
  }

  /** Perf: the indexer tokenizes each chunk once for FTS5 and the embedder alike. */
  embedTokens(tokens: readonly Token[]): Float32Array {
    const table = this.load();
    const hd = this.hashed.dim;
    const d = this.header.dim;
    const out = new Float32Array(hd + d);
    const counted = termsOf(tokens);
    const lex = this.hashed.embedTerms(counted);
    for (let i = 0; i < hd; i++) out[i] = (lex[i] as number) * this.lexical;

    // The learnt half reads the same stemmed terms the hashed half counted (the table's vocabulary), each
    // known term's row added in the terms' order (float32 sums: the order is part of the result).
    const { index, idf, rows, mean } = table;
    let sem: Float32Array | undefined;
    for (const [term, tf] of counted.terms) {
      const row = index.get(term);
      if (row === undefined) continue;
      sem ??= new Float32Array(d);
      const w = (idf[row] as number) * (1 + Math.log(tf));
      const o = row * d;
      for (let k = 0; k < d; k++) sem[k] = (sem[k] as number) + w * (rows[o + k] as number);
    }
    if (sem !== undefined) {
      let n = 0;
      for (let k = 0; k < d; k++) n += (sem[k] as number) * (sem[k] as number);
      const inv = n > 0 ? 1 / Math.sqrt(n) : 0;
      // Centred after normalising, then normalised again: sign bits (the binary index) split evenly.
      let m = 0;
      for (let k = 0; k < d; k++) {
        const c = (sem[k] as number) * inv - (mean[k] as number);
        sem[k] = c;
        m += c * c;
      }
      const s = m > 0 ? this.semantic / Math.sqrt(m) : 0;
      for (let k = 0; k < d; k++) out[hd + k] = (sem[k] as number) * s;
    }
    let norm = 0;
    for (let i = 0; i < out.length; i++) norm += (out[i] as number) * (out[i] as number);
    if (norm > 0 && Math.abs(norm - 1) > 1e-6) {
      const inv = 1 / Math.sqrt(norm);
      for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) * inv;
    }
    return out;
  }

  /** The learnt term rows, for the re-ranker's term-to-term similarities (rerank.ts). */
  termTable(): TermTable {
    if (!this.terms) {
      const t = this.load();
      const d = this.header.dim;
      const invNorm = new Float32Array(t.idf.length);
      for (let r = 0; r < invNorm.length; r++) {
        let n = 0;
        for (let k = r * d; k < (r + 1) * d; k++) n += (t.rows[k] as number) * (t.rows[k] as number);
        invNorm[r] = n > 0 ? 1 / Math.sqrt(n) : 0;
      }
      this.terms = { index: t.index, idf: t.idf, rows: t.rows, invNorm, dim: d };
    }
    return this.terms;
  }

  private load(): Table {
    if (!this.table) this.table = readTable(this.file);
    return this.table;
  }
}

function readHeader(file: string): { header: Header; offset: number } {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    throw new EmbedderAssetError('the built-in embedder table is missing: reinstall Disco', file);
  }
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const len = n >= 4 ? buf.readUInt32LE(0) : 0;
    let header: Header | undefined;
    try {
      if (len > 0 && 4 + len <= n) header = JSON.parse(buf.subarray(4, 4 + len).toString('utf8')) as Header;
    } catch {
      header = undefined;
    }
    if (header?.format !== 'disco-static-embedder' || header.version !== 1 || header.dim % 8 !== 0) {
      throw new EmbedderAssetError('the built-in embedder table is damaged: reinstall Disco', file);
    }
    return { header, offset: 4 + len };
  } finally {
    closeSync(fd);
  }
}

/** Layout: u32 header length, header JSON, vocabulary (\n-joined), idf u8 (×16), pad to 4, f32 row scales, int8 rows, f32 mean. */
function readTable(file: string): Table {
  const { header: h, offset } = readHeader(file);
  const buf = readFileSync(file);
  let o = offset;
  const words = buf
    .subarray(o, o + h.vocabBytes)
    .toString('utf8')
    .split('\n');
  o += h.vocabBytes;
  const idf = Float32Array.from(buf.subarray(o, o + h.vocab), (b) => b / 16);
  o += h.vocab;
  o += (4 - (o % 4)) % 4;
  const need = o + h.vocab * 4 + h.vocab * h.dim + h.dim * 4;
  if (words.length !== h.vocab || buf.length !== need) {
    throw new EmbedderAssetError('the built-in embedder table is damaged: reinstall Disco', file);
  }
  const copy = (from: number, bytes: number) => buf.buffer.slice(buf.byteOffset + from, buf.byteOffset + from + bytes);
  const scales = new Float32Array(copy(o, h.vocab * 4));
  o += h.vocab * 4;
  const packed = new Int8Array(copy(o, h.vocab * h.dim));
  o += h.vocab * h.dim;
  const mean = new Float32Array(copy(o, h.dim * 4));
  const rows = new Float32Array(packed.length);
  for (let i = 0; i < packed.length; i++) rows[i] = (packed[i] as number) * (scales[Math.floor(i / h.dim)] as number);
  return { index: new Map(words.map((w, i) => [w, i])), idf, rows, mean };
}

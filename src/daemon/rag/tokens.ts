/**
 * Code-aware tokens, shared by the FTS index, FTS queries and the hashed embedder, so that a query for
 * "parse config" finds `parseConfig`, `parse_config` and `ConfigParser` alike.
 */

/** Identifiers (with `_`, `$` and digits), plain words in any script, and numbers. */
const WORD = /[\p{L}_$][\p{L}\p{N}_$]*|\p{N}+/gu;
/**
 * Perf: ASCII text is scanned by hand, as `/[A-Za-z_$][A-Za-z0-9_$]*|[0-9]+/g` would match it (the same
 * tokens as WORD there), several times faster than Unicode property classes and with no match objects.
 * Per character code: 1 starts an identifier, 2 is a digit (both continue one), 0 separates.
 */
const ASCII_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  ASCII_CLASS[c] = /[A-Za-z_$]/.test(ch) ? 1 : /[0-9]/.test(ch) ? 2 : 0;
}
// biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range starts at a control character.
const NON_ASCII = /[^\x00-\x7f]/;

/** Splits `parseHTTPRequest_v2` into `parse`, `http`, `request`, `v`, `2`: camelCase, snake_case, digits. */
const PART = /\p{Lu}+(?!\p{Ll})|\p{Lu}?\p{Ll}+|\p{Lo}+|\p{N}+/gu;
const SIMPLE = /^[a-z]+$/;

/** Longest token kept; longer runs are hashes, base64 or minified code, useless for search. */
export const MAX_TOKEN_LENGTH = 48;

export function splitIdentifier(word: string): string[] {
  if (SIMPLE.test(word)) return [word];
  const parts = word.match(PART);
  if (!parts) return [];
  return parts.map((p) => p.toLowerCase());
}

export interface Token {
  /** The whole identifier, lowercased. */
  word: string;
  /** Its camelCase/snake_case parts (empty when the word has only one part). */
  parts: string[];
  /** What FTS5 indexes for it (expandTokens): the word, its parts and sub-compounds. */
  readonly expanded: string;
  /** The embedders' terms (hashed-embedder `termsOf`): the word or its parts, stop words out, stemmed. */
  readonly stems: readonly string[];
}

/**
 * Perf: a token is made once per distinct identifier (tokenize's cache), so what the indexer derives
 * from it for FTS5 and the embedders is computed here once, not for each of its occurrences.
 */
function makeToken(raw: string): Token | undefined {
  const word = raw.replace(/\$/g, '').toLowerCase();
  if (word.length === 0) return undefined;
  const split = splitIdentifier(raw);
  const parts = split.length > 1 || (split[0] !== undefined && split[0] !== word) ? split : [];
  const stems =
    parts.length === 0
      ? word.length > 1 && !STOP_WORDS.has(word)
        ? [stem(word)]
        : []
      : parts.filter((p) => p.length > 1 && !STOP_WORDS.has(p)).map((p) => stem(p));
  return { word, parts, expanded: expandOne(word, parts), stems };
}

/** Perf: code repeats its identifiers endlessly; splitting each distinct one once saves most of the work. */
const TOKEN_CACHE = new Map<string, Token | null>();
const TOKEN_CACHE_MAX = 200_000;

/** Every identifier or word of a text, in order, with its parts. Tokens are shared: do not mutate them. */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  if (NON_ASCII.test(text)) {
    WORD.lastIndex = 0;
    for (let m = WORD.exec(text); m !== null; m = WORD.exec(text)) {
      if (m[0].length <= MAX_TOKEN_LENGTH) pushToken(out, m[0]);
    }
    return out;
  }
  const n = text.length;
  let i = 0;
  while (i < n) {
    const kind = ASCII_CLASS[text.charCodeAt(i)];
    if (kind === 0) {
      i++;
      continue;
    }
    let end = i + 1;
    if (kind === 1) while (end < n && ASCII_CLASS[text.charCodeAt(end)] !== 0) end++;
    else while (end < n && ASCII_CLASS[text.charCodeAt(end)] === 2) end++;
    if (end - i <= MAX_TOKEN_LENGTH) pushToken(out, text.slice(i, end));
    i = end;
  }
  return out;
}

function pushToken(out: Token[], raw: string): void {
  let t = TOKEN_CACHE.get(raw);
  if (t === undefined) {
    t = makeToken(raw) ?? null;
    if (TOKEN_CACHE.size >= TOKEN_CACHE_MAX) TOKEN_CACHE.clear();
    TOKEN_CACHE.set(raw, t);
  }
  if (t) out.push(t);
}

/**
 * The text FTS5 indexes for a chunk: every token and, after it, its parts and (for three parts or more)
 * its adjacent parts joined — so BM25 sees the exact identifier, its words and its shorter names. FTS5's own tokenizer (unicode61, `_` kept in tokens, Porter stems) runs on it.
 */
export function expandForIndex(text: string): string {
  return expandTokens(tokenize(text));
}

export function expandTokens(tokens: readonly Token[]): string {
  const out: string[] = new Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) out[i] = (tokens[i] as Token).expanded;
  return out.join(' ');
}

function expandOne(word: string, parts: readonly string[]): string {
  const out = [word];
  for (const p of parts) if (p.length > 1 && p !== word) out.push(p);
  // Sub-compounds: `eachOfSeries` also gives `eachof` and `ofseries`, so a question naming `eachOf`
  // (or the joined pair of "symmetric difference") meets the longer name (tune half: MRR up on all three
  // languages).
  const n = parts.length;
  for (let i = 0; n >= 3 && i + 1 < n; i++) out.push((parts[i] as string) + (parts[i + 1] as string));
  return out.join(' ');
}

/** Words that carry no meaning in a search over code and prose. */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a an and are as at be been but by can could do does for from had has have how i if in into is it its ' +
    'me my of on or our should so such than that the their them then there these they this those to was we ' +
    'were what when where which while who why will with would you your ' +
    'const let var function return new import export default true false null undefined void'
  ).split(' '),
);

/** Distinct query terms (identifiers and their parts), stop words dropped, at most `max`. */
export function queryTerms(query: string, max = 32): string[] {
  const terms = new Set<string>();
  for (const t of tokenize(query)) {
    if (!STOP_WORDS.has(t.word)) terms.add(t.word);
    for (const p of t.parts) if (p.length > 1 && !STOP_WORDS.has(p)) terms.add(p);
    if (terms.size >= max) break;
  }
  return [...terms].slice(0, max);
}

/**
 * Words of a question and the forms they take in code names, matched in the `symbol` column only (so an
 * expansion can lift a definition whose name says it, never flood the bodies). Keys and values are the
 * light stems of `stem()` (hashed-embedder.ts). Chosen from the tune half of bench/rag-eval (doc comment word → parts of
 * the documented symbol, lift ≥ 4 over chance: check/determine/whether → is/has, convert → to) and from
 * common code verbs (remove → delete/unlink/rm, create → new/make/init). Broader tables were tried on the
 * tune half and lost: `return → get`, `number → num/int`, `find → get/lookup` fire on most doc comments
 * and lifted every getter (JS/TS BM25 recall@5 0.61 → 0.53).
 */
export const CODE_FORMS: Readonly<Record<string, readonly string[]>> = {
  check: ['is', 'has', 'valid'],
  determin: ['is', 'has'],
  whether: ['is', 'has'],
  classifi: ['is'],
  classify: ['is'],
  convert: ['to', 'from', 'as'],
  remov: ['delete', 'del', 'unlink', 'rm', 'remove', 'drop'],
  delet: ['remove', 'del', 'unlink', 'rm', 'drop'],
  creat: ['new', 'make', 'init', 'build', 'create'],
  construct: ['new', 'make', 'build', 'init'],
  find: ['search', 'lookup', 'get'],
  add: ['append', 'push', 'insert'],
  compar: ['cmp', 'eq', 'equal'],
  copi: ['clone', 'dup'],
  copy: ['clone', 'dup'],
};

/** A Map, so a query word such as `constructor` never finds an Object prototype member. */
const FORMS = new Map(Object.entries(CODE_FORMS));

export interface MatchOptions {
  /**
   * Add the code forms of the query's words (CODE_FORMS), matched against symbol names only, when the
   * query has at most this many terms (0: never). Off by default, by measurement: on the tune half of
   * bench/rag-eval they lowered JS/TS BM25 recall@5 from 0.62 to 0.54 on every query, to 0.57 on queries
   * of ≤ 5 terms and to 0.59 on ≤ 3 (Go and Python unchanged): doc comments say "creates", "checks",
   * "converts" incidentally, and the expansion lifted every `create*`, `is*`, `to*` symbol. Kept for
   * callers whose questions are a verb and a noun ("remove file"), where no doc comment set measures it.
   */
  codeFormsUpTo: number;
  /** Add adjacent plain words joined (`file name` → `filename`), as code writes them. */
  joinPairs: boolean;
}

export const DEFAULT_MATCH: Readonly<MatchOptions> = Object.freeze({ codeFormsUpTo: 0, joinPairs: true });

/** The extra terms for a query: joined word pairs (any column) and code forms (symbol column). */
export function queryExpansions(
  query: string,
  opts: Readonly<MatchOptions> = DEFAULT_MATCH,
): { any: string[]; symbol: string[] } {
  const words = tokenize(query);
  const forms = opts.codeFormsUpTo > 0 && queryTerms(query).length <= opts.codeFormsUpTo;
  const have = new Set(words.flatMap((t) => [t.word, ...t.parts]));
  const any = new Set<string>();
  const symbol = new Set<string>();
  for (let i = 0; i < words.length; i++) {
    const t = words[i] as Token;
    if (forms) {
      const s1 = stem(t.word);
      for (const f of FORMS.get(s1) ?? FORMS.get(stem(s1)) ?? []) if (!have.has(f)) symbol.add(f);
    }
    const next = words[i + 1];
    if (opts.joinPairs && next && t.parts.length === 0 && next.parts.length === 0) {
      if (!STOP_WORDS.has(t.word) && !STOP_WORDS.has(next.word) && t.word.length > 2 && next.word.length > 2)
        any.add(t.word + next.word);
    }
  }
  return { any: [...any].slice(0, 12), symbol: [...symbol].slice(0, 12) };
}

/**
 * An FTS5 MATCH expression for a free-text query: its terms OR-ed (BM25 ranks chunks holding more and
 * rarer terms first), each quoted so no query text is read as FTS5 syntax, plus its expansions (joined
 * word pairs; code forms restricted to the `symbol` column). `common` marks the terms to restrict to the
 * `symbol` column as well (see Ranking.commonTermShare). Undefined when nothing is left.
 */
export function ftsMatchExpression(
  query: string,
  opts: Readonly<MatchOptions> = DEFAULT_MATCH,
  common?: (term: string) => boolean,
): string | undefined {
  const terms = queryTerms(query);
  if (terms.length === 0) {
    // A query made only of stop words ("how is this done") still deserves an answer.
    const all = [...new Set(tokenize(query).map((t) => t.word))].slice(0, 16);
    if (all.length === 0) return undefined;
    return all.map((t) => `"${t}"`).join(' OR ');
  }
  const x = queryExpansions(query, opts);
  let any = [...terms, ...x.any.filter((t) => !terms.includes(t))];
  let symbol = x.symbol;
  // Terms most chunks hold ("return", "value") are looked for in symbols and signatures only, unless
  // nothing else is left: in a body they add little to a score and much to the rows scored.
  const rare = common ? any.filter((t) => !common(t)) : any;
  if (rare.length > 0 && rare.length < any.length) {
    symbol = [...any.filter((t) => !rare.includes(t)), ...symbol];
    any = rare;
  }
  const parts = any.map((t) => `"${t}"`);
  if (symbol.length > 0) parts.push(`symbol : (${symbol.map((t) => `"${t}"`).join(' OR ')})`);
  return parts.join(' OR ');
}

/** A line that only comments, decorates or closes: not the definition's signature. */
const NOT_SIGNATURE = /^\s*(?:$|\/\/|\/\*|\*|#|--|;|@|"""|'''|\)|\]|\}|<!--)/;

/** The first line of a chunk that is code (its definition's signature, for a definition chunk), ≤ 200 chars. */
export function signatureLine(content: string): string {
  let from = 0;
  while (from < content.length) {
    const nl = content.indexOf('\n', from);
    const line = content.slice(from, nl < 0 ? content.length : nl);
    if (!NOT_SIGNATURE.test(line)) return line.slice(0, 200);
    if (nl < 0) break;
    from = nl + 1;
  }
  return '';
}

/**
 * FTS5's `symbol` column: the symbol's name and the signature line, whole identifiers and their parts —
 * so "parse the config" meets `parseConfig(path, options)` in the column BM25 weighs most.
 */
export function ftsSymbolText(symbol: string | null, content: string): string {
  const sig = signatureLine(content);
  return expandForIndex(symbol ? `${symbol}\n${sig}` : sig);
}

/** FTS5's `path` column: the path's words (`src/rag/hybridSearch.ts` → `src rag hybridsearch hybrid search ts`). */
export function ftsPathText(path: string): string {
  return expandForIndex(path);
}

/** A deliberately small English suffix stripper: plural and verb endings, enough to meet inflections. */
export function stem(w: string): string {
  if (w.length <= 3) return w;
  if (w.endsWith('ies') && w.length > 4) return `${w.slice(0, -3)}y`;
  if (w.endsWith('sses')) return w.slice(0, -2);
  if (w.endsWith('ing') && w.length > 5) return trimDouble(w.slice(0, -3));
  if (w.endsWith('ed') && w.length > 4) return trimDouble(w.slice(0, -2));
  if (w.endsWith('es') && /(?:[sxz]|ch|sh)es$/.test(w)) return w.slice(0, -2);
  if (w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us') && !w.endsWith('is')) return w.slice(0, -1);
  if (w.endsWith('e') && w.length > 4) return w.slice(0, -1);
  return w;
}

function trimDouble(w: string): string {
  const n = w.length;
  if (n >= 3 && w[n - 1] === w[n - 2] && !'lsz'.includes(w[n - 1] as string)) return w.slice(0, -1);
  if (w.endsWith('e') && w.length > 4) return w.slice(0, -1);
  return w;
}

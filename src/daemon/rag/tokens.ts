/**
 * Code-aware tokens, shared by the FTS index, FTS queries and the hashed embedder, so that a query for
 * "parse config" finds `parseConfig`, `parse_config` and `ConfigParser` alike.
 */

/** Identifiers (with `_`, `$` and digits), plain words in any script, and numbers. */
const WORD = /[\p{L}_$][\p{L}\p{N}_$]*|\p{N}+/gu;
/** Perf: the same for ASCII text, several times faster than Unicode property classes. */
const ASCII_WORD = /[A-Za-z_$][A-Za-z0-9_$]*|[0-9]+/g;
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
}

function makeToken(raw: string): Token | undefined {
  const word = raw.replace(/\$/g, '').toLowerCase();
  if (word.length === 0) return undefined;
  const parts = splitIdentifier(raw);
  return { word, parts: parts.length > 1 || (parts[0] !== undefined && parts[0] !== word) ? parts : [] };
}

/** Perf: code repeats its identifiers endlessly; splitting each distinct one once saves most of the work. */
const TOKEN_CACHE = new Map<string, Token | null>();
const TOKEN_CACHE_MAX = 200_000;

/** Every identifier or word of a text, in order, with its parts. Tokens are shared: do not mutate them. */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  const re = NON_ASCII.test(text) ? WORD : ASCII_WORD;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const raw = m[0];
    if (raw.length > MAX_TOKEN_LENGTH) continue;
    let t = TOKEN_CACHE.get(raw);
    if (t === undefined) {
      t = makeToken(raw) ?? null;
      if (TOKEN_CACHE.size >= TOKEN_CACHE_MAX) TOKEN_CACHE.clear();
      TOKEN_CACHE.set(raw, t);
    }
    if (t) out.push(t);
  }
  return out;
}

/**
 * The text FTS5 indexes for a chunk: every token and, after it, its parts — so BM25 sees both the exact
 * identifier and its words. FTS5's own tokenizer (unicode61, `_` kept in tokens, Porter stems) runs on it.
 */
export function expandForIndex(text: string): string {
  return expandTokens(tokenize(text));
}

export function expandTokens(tokens: readonly Token[]): string {
  const out: string[] = [];
  for (const t of tokens) {
    out.push(t.word);
    for (const p of t.parts) if (p.length > 1 && p !== t.word) out.push(p);
  }
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
 * An FTS5 MATCH expression for a free-text query: its terms OR-ed (BM25 ranks chunks holding more and
 * rarer terms first), each quoted so no query text is read as FTS5 syntax. Undefined when nothing is left.
 */
export function ftsMatchExpression(query: string): string | undefined {
  const terms = queryTerms(query);
  if (terms.length === 0) {
    // A query made only of stop words ("how is this done") still deserves an answer.
    const all = [...new Set(tokenize(query).map((t) => t.word))].slice(0, 16);
    if (all.length === 0) return undefined;
    return all.map((t) => `"${t}"`).join(' OR ');
  }
  return terms.map((t) => `"${t}"`).join(' OR ');
}

import { searchWorkspace } from './search.js';

export interface RankedFile {
  path: string;
  /** Distinct query terms found in the file (or its path), then total hits: higher is better. */
  terms: number;
  hits: number;
  /** First matching line, for a snippet. */
  firstLine?: { line: number; text: string };
}

const STOP = new Set([
  'the',
  'and',
  'for',
  'with',
  'that',
  'this',
  'from',
  'into',
  'how',
  'what',
  'where',
  'does',
  'are',
  'is',
  'of',
  'to',
  'in',
  'a',
  'an',
  'on',
]);

/** Splits a natural-language query into up to 8 distinct search terms. */
export function queryTerms(query: string): string[] {
  const words = query.toLowerCase().match(/[\p{L}\p{N}_$.-]{2,}/gu) ?? [];
  return [...new Set(words.filter((w) => !STOP.has(w)))].slice(0, 8);
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

/**
 * Keyword search for assistants' free-text queries (ChatGPT's `search`), until the RAG index exists:
 * files that contain more of the query's terms rank first. Bounded like file_search.
 */
export async function rankFilesByTerms(
  root: string,
  query: string,
  limit: number,
  signal?: AbortSignal,
): Promise<RankedFile[]> {
  const terms = queryTerms(query);
  if (terms.length === 0) return [];
  const pattern = terms.map(escapeRegex).join('|');
  const found = await searchWorkspace(
    root,
    { path: '.', query: pattern, regex: true, caseSensitive: false, maxResults: 2000, includeIgnored: false },
    undefined,
    signal,
  );
  const files = new Map<string, RankedFile & { seen: Set<string> }>();
  for (const m of found.matches) {
    let f = files.get(m.path);
    if (!f) {
      f = {
        path: m.path,
        terms: 0,
        hits: 0,
        seen: new Set(),
        ...(m.line && m.text ? { firstLine: { line: m.line, text: m.text } } : {}),
      };
      for (const t of terms) if (m.path.toLowerCase().includes(t)) f.seen.add(t);
      files.set(m.path, f);
    }
    f.hits++;
    const lower = (m.text ?? '').toLowerCase();
    for (const t of terms) if (lower.includes(t)) f.seen.add(t);
  }
  return [...files.values()]
    .map(({ seen, ...f }) => ({ ...f, terms: seen.size }))
    .sort((a, b) => b.terms - a.terms || b.hits - a.hits || a.path.localeCompare(b.path))
    .slice(0, limit);
}

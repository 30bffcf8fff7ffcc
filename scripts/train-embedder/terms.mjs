// The terms of a text exactly as the daemon's embedders see them (built code in dist/: run `npm run build`).
import { createHash } from 'node:crypto';
import { stem } from '../../dist/daemon/rag/hashed-embedder.js';
import { STOP_WORDS, tokenize } from '../../dist/daemon/rag/tokens.js';

/** Stemmed camelCase/snake_case parts (and plain words) of a text, with their counts. */
export function termCounts(text) {
  const m = new Map();
  const add = (w) => {
    if (w.length > 1 && !STOP_WORDS.has(w)) {
      const s = stem(w);
      m.set(s, (m.get(s) ?? 0) + 1);
    }
  };
  for (const t of tokenize(text)) {
    if (t.parts.length === 0) add(t.word);
    else for (const p of t.parts) add(p);
  }
  return m;
}

/**
 * Fixed split by package name: 80 % train, 10 % valid (choosing weights), 10 % test (reported only).
 * A hash, not a list, so adding packages never moves one from train to test.
 */
export function splitOf(name) {
  const b = createHash('sha256').update(name).digest()[0] % 10;
  return b === 0 ? 'test' : b === 1 ? 'valid' : 'train';
}

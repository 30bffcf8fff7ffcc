import v8 from 'node:v8';
import { ValidationError } from '../errors.js';

let engineEnabled = false;

/**
 * Compiles a client's pattern with V8's linear-time engine (the `l` flag), so no pattern can pin the
 * event loop with catastrophic backtracking (ReDoS). That engine has no backreferences, lookaround or
 * `i` flag; case-insensitivity is provided by rewriting letters into [xX] classes instead.
 */
export function compileLinearRegex(pattern: string, caseSensitive: boolean): RegExp {
  if (!engineEnabled) {
    // Perf/Security: this flag only adds the opt-in `l` flag; other regexes keep the default engine.
    v8.setFlagsFromString('--enable-experimental-regexp-engine');
    engineEnabled = true;
  }
  try {
    new RegExp(pattern); // syntax errors get the ordinary, clearer message
  } catch (err) {
    // V8 says "Invalid regular expression: /(/: Unterminated group"; said once.
    const said = (err as Error).message.replace(/^Invalid regular expression: /, '');
    throw new ValidationError(`invalid regular expression: ${said}`, { pattern });
  }
  try {
    return new RegExp(caseSensitive ? pattern : caseFoldPattern(pattern), 'l');
  } catch {
    throw new ValidationError(
      'this regular expression cannot run in linear time (backreferences and lookaround are not supported)',
      { pattern },
    );
  }
}

const isLetter = (c: string) => c.toLowerCase() !== c.toUpperCase();
const other = (c: string) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase());

/** Length of the escape sequence starting at `i` (which holds the backslash). */
function escapeLength(p: string, i: number): number {
  const next = p[i + 1];
  if (next === 'x') return 4;
  if (next === 'c') return 3;
  if (next === 'u') return p[i + 2] === '{' ? p.indexOf('}', i) - i + 1 || 2 : 6;
  if ((next === 'p' || next === 'P') && p[i + 2] === '{') return p.indexOf('}', i) - i + 1 || 2;
  if (next === 'k' && p[i + 2] === '<') return p.indexOf('>', i) - i + 1 || 2;
  return 2;
}

/** Rewrites a pattern so it matches regardless of letter case, leaving escapes and group names intact. */
export function caseFoldPattern(p: string): string {
  let out = '';
  let i = 0;
  while (i < p.length) {
    const c = p[i] as string;
    if (c === '\\') {
      const n = escapeLength(p, i);
      out += p.slice(i, i + n);
      i += n;
    } else if (c === '[') {
      const { text, end } = foldClass(p, i);
      out += text;
      i = end;
    } else if (c === '(' && p[i + 1] === '?' && p[i + 2] === '<' && p[i + 3] !== '=' && p[i + 3] !== '!') {
      const close = p.indexOf('>', i);
      const end = close === -1 ? p.length : close + 1;
      out += p.slice(i, end);
      i = end;
    } else {
      out += isLetter(c) ? `[${c}${other(c)}]` : c;
      i++;
    }
  }
  return out;
}

/** Folds one character class starting at `start` (a `[`); returns the new class and the index after it. */
function foldClass(p: string, start: number): { text: string; end: number } {
  let i = start + 1;
  if (p[i] === '^') i++;
  const bodyStart = i;
  const extras: string[] = [];
  while (i < p.length && p[i] !== ']') {
    if (p[i] === '\\') {
      i += escapeLength(p, i);
      continue;
    }
    const c = p[i] as string;
    const hi = p[i + 2];
    if (p[i + 1] === '-' && hi !== undefined && hi !== ']' && hi !== '\\') {
      if (/[a-z]/.test(c) && /[a-z]/.test(hi)) extras.push(`${c.toUpperCase()}-${hi.toUpperCase()}`);
      else if (/[A-Z]/.test(c) && /[A-Z]/.test(hi)) extras.push(`${c.toLowerCase()}-${hi.toLowerCase()}`);
      i += 3;
      continue;
    }
    if (isLetter(c)) extras.push(other(c));
    i++;
  }
  let body = p.slice(bodyStart, i);
  // A literal '-' at the end would turn the appended extras into a range: escape it.
  if (extras.length > 0 && body.endsWith('-') && !body.endsWith('\\-')) body = `${body.slice(0, -1)}\\-`;
  const head = p.slice(start, bodyStart);
  return { text: `${head}${body}${extras.join('')}]`, end: Math.min(i + 1, p.length) };
}

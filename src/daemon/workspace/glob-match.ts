import { ValidationError } from '../errors.js';

/**
 * Glob matching in linear time. Security: a backtracking matcher (a glob compiled to a JavaScript regex)
 * takes time exponential in the number of `*` for some names: `*a*a*a*a*a*a*a*a*b` against 36 `a`s pinned
 * the event loop for seconds. Here a glob compiles to a Thompson NFA that is simulated one character at a
 * time with a set of live states, so a match costs O(path length × pattern length) at worst, whatever
 * the pattern, and braces never expand.
 *
 * Syntax (the subset of picomatch the ops document): `*` (any run of characters except `/`), `**` as a
 * whole segment (any number of segments, including none), `?` (one character except `/`), `[abc]`,
 * `[a-z]`, `[!a]` / `[^a]`, `{a,b}` (nested), `\` to escape, and a leading `!` to negate. Dotfiles match.
 */

/** Longest glob accepted: the NFA has at most about two states per pattern character. */
export const MAX_GLOB_LENGTH = 1000;
/**
 * Most state steps one match may take (a few ms, 20 ms on a loaded 2-core machine). Perf: O(path × pattern) is linear but still
 * large for a 1,000-character glob of wildcards against a 4 KiB path; ordinary globs keep a handful of
 * live states and use a few thousand steps, so only patterns built to be slow reach this.
 */
export const MAX_MATCH_STEPS = 200_000;

const SLASH = 47;

/** What one consuming state accepts. */
type CharTest =
  | { kind: 'code'; code: number }
  | { kind: 'notSlash' }
  | { kind: 'any' }
  | { kind: 'class'; ranges: number[]; negated: boolean };

type Item =
  | { t: 'char'; test: CharTest }
  | { t: 'star'; test: CharTest } // zero or more characters passing test
  | { t: 'optional'; seq: Item[] }
  | { t: 'alt'; options: Item[][] };

interface State {
  /** A consuming state (test + one successor) or an epsilon fan-out (successors only), or the end. */
  test?: CharTest;
  out: number[];
  accept?: true;
}

function accepts(test: CharTest, c: number): boolean {
  switch (test.kind) {
    case 'code':
      return c === test.code;
    case 'notSlash':
      return c !== SLASH;
    case 'any':
      return true;
    case 'class': {
      if (c === SLASH) return false;
      let inside = false;
      for (let i = 0; i < test.ranges.length; i += 2) {
        if (c >= (test.ranges[i] as number) && c <= (test.ranges[i + 1] as number)) {
          inside = true;
          break;
        }
      }
      return inside !== test.negated;
    }
  }
}

/** Parses `[...]` at `start`; undefined when it does not close (then `[` is a literal). */
function parseClass(p: string, start: number, end: number): { test: CharTest; next: number } | undefined {
  let i = start + 1;
  const negated = p[i] === '!' || p[i] === '^';
  if (negated) i++;
  const ranges: number[] = [];
  let first = true;
  while (i < end && (p[i] !== ']' || first)) {
    first = false;
    let lo = p.charCodeAt(i);
    if (p[i] === '\\' && i + 1 < end) lo = p.charCodeAt(++i);
    i++;
    let hi = lo;
    if (p[i] === '-' && i + 1 < end && p[i + 1] !== ']') {
      i++;
      if (p[i] === '\\' && i + 1 < end) i++;
      hi = p.charCodeAt(i);
      i++;
    }
    ranges.push(Math.min(lo, hi), Math.max(lo, hi));
  }
  if (i >= end) return undefined;
  return { test: { kind: 'class', ranges, negated }, next: i + 1 };
}

/** Index of the `}` closing the `{` at `start`, and the top-level commas between; undefined if none. */
function braceBounds(p: string, start: number, end: number): { close: number; commas: number[] } | undefined {
  let depth = 0;
  const commas: number[] = [];
  for (let i = start; i < end; i++) {
    const c = p[i];
    if (c === '\\') i++;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return commas.length > 0 ? { close: i, commas } : undefined;
    else if (c === ',' && depth === 1) commas.push(i);
  }
  return undefined;
}

/** Parses p[start, end) into a sequence of items. */
function parseSeq(p: string, start: number, end: number): Item[] {
  const seq: Item[] = [];
  let i = start;
  while (i < end) {
    const c = p[i] as string;
    if (c === '\\') {
      seq.push({ t: 'char', test: { kind: 'code', code: p.charCodeAt(i + 1 < end ? i + 1 : i) } });
      i += 2;
    } else if (c === '*') {
      let j = i;
      while (j < end && p[j] === '*') j++;
      const wholeSegment = j - i >= 2 && (i === start || p[i - 1] === '/') && (j === end || p[j] === '/');
      if (wholeSegment && j < end) {
        // `**/`: any number of leading segments, including none.
        seq.push({ t: 'optional', seq: [{ t: 'star', test: { kind: 'any' } }, slashItem()] });
        j++;
      } else if (wholeSegment) {
        const last = seq[seq.length - 1];
        if (last?.t === 'char' && last.test.kind === 'code' && last.test.code === SLASH) {
          // `dir/**` also matches `dir` itself.
          seq.pop();
          seq.push({ t: 'optional', seq: [slashItem(), { t: 'star', test: { kind: 'any' } }] });
        } else {
          seq.push({ t: 'star', test: { kind: 'any' } });
        }
      } else {
        seq.push({ t: 'star', test: { kind: 'notSlash' } });
      }
      i = j;
    } else if (c === '?') {
      seq.push({ t: 'char', test: { kind: 'notSlash' } });
      i++;
    } else if (c === '[') {
      const cls = parseClass(p, i, end);
      seq.push({ t: 'char', test: cls ? cls.test : { kind: 'code', code: p.charCodeAt(i) } });
      i = cls ? cls.next : i + 1;
    } else if (c === '{') {
      const b = braceBounds(p, i, end);
      if (!b) {
        seq.push({ t: 'char', test: { kind: 'code', code: p.charCodeAt(i) } });
        i++;
        continue;
      }
      const cuts = [i, ...b.commas, b.close];
      const options: Item[][] = [];
      for (let k = 0; k + 1 < cuts.length; k++)
        options.push(parseSeq(p, (cuts[k] as number) + 1, cuts[k + 1] as number));
      seq.push({ t: 'alt', options });
      i = b.close + 1;
    } else {
      seq.push({ t: 'char', test: { kind: 'code', code: p.charCodeAt(i) } });
      i++;
    }
  }
  return seq;
}

const slashItem = (): Item => ({ t: 'char', test: { kind: 'code', code: SLASH } });

/** Builds the NFA back to front: each item gets the index of what follows it and returns its entry. */
function compile(seq: Item[]): { states: State[]; start: number } {
  const states: State[] = [{ out: [], accept: true }];
  const add = (s: State) => states.push(s) - 1;
  const emitSeq = (items: Item[], next: number): number => {
    let cur = next;
    for (let k = items.length - 1; k >= 0; k--) cur = emit(items[k] as Item, cur);
    return cur;
  };
  const emit = (item: Item, next: number): number => {
    switch (item.t) {
      case 'char':
        return add({ test: item.test, out: [next] });
      case 'star': {
        const loop = add({ out: [] });
        const step = add({ test: item.test, out: [loop] });
        (states[loop] as State).out.push(step, next);
        return loop;
      }
      case 'optional':
        return add({ out: [emitSeq(item.seq, next), next] });
      case 'alt':
        return add({ out: item.options.map((o) => emitSeq(o, next)) });
    }
  };
  return { states, start: emitSeq(seq, 0) };
}

const KIND_EPSILON = 0;
const KIND_ACCEPT = 1;
const KIND_CODE = 2;
const KIND_NOT_SLASH = 3;
const KIND_ANY = 4;
const KIND_CLASS = 5;

/** The NFA flattened into typed arrays. Perf: the simulation touches no objects per character. */
interface Machine {
  kind: Uint8Array;
  /** The code for KIND_CODE, the class index for KIND_CLASS. */
  arg: Int32Array;
  /** Successors of state s: out[outStart[s] .. outStart[s + 1]). */
  outStart: Int32Array;
  out: Int32Array;
  classes: CharTest[];
  start: number;
}

function flatten({ states, start }: { states: State[]; start: number }): Machine {
  const n = states.length;
  const kind = new Uint8Array(n);
  const arg = new Int32Array(n);
  const outStart = new Int32Array(n + 1);
  const classes: CharTest[] = [];
  const out: number[] = [];
  states.forEach((st, s) => {
    outStart[s] = out.length;
    out.push(...st.out);
    const t = st.test;
    if (st.accept) kind[s] = KIND_ACCEPT;
    else if (!t) kind[s] = KIND_EPSILON;
    else if (t.kind === 'code') {
      kind[s] = KIND_CODE;
      arg[s] = t.code;
    } else if (t.kind === 'notSlash') kind[s] = KIND_NOT_SLASH;
    else if (t.kind === 'any') kind[s] = KIND_ANY;
    else {
      kind[s] = KIND_CLASS;
      arg[s] = classes.push(t) - 1;
    }
  });
  outStart[n] = out.length;
  return { kind, arg, outStart, out: Int32Array.from(out), classes, start };
}

/**
 * Simulates the NFA over `input`: every character advances all live states at once, and `seen` (stamped
 * with the step number) keeps each state at most once per step, so a step costs O(states).
 */
function run(m: Machine, input: string): boolean {
  const { kind, arg, outStart, out, classes } = m;
  const n = kind.length;
  const seen = new Int32Array(n).fill(-1);
  let current = new Int32Array(n);
  let next = new Int32Array(n);
  const stack = new Int32Array(out.length + 2);
  let curLen = 0;
  let sp = 0;
  let steps = 0;
  stack[sp++] = m.start;
  for (let i = -1; i < input.length; i++) {
    // Phase 1 (skipped before the first character): consume input[i] from every live state.
    if (i >= 0) {
      const c = input.charCodeAt(i);
      for (let j = 0; j < curLen; j++) {
        const s = current[j] as number;
        const k = kind[s];
        if (
          k === KIND_CODE
            ? c === arg[s]
            : k === KIND_NOT_SLASH
              ? c !== SLASH
              : k === KIND_ANY || (k === KIND_CLASS && accepts(classes[arg[s] as number] as CharTest, c))
        ) {
          stack[sp++] = out[outStart[s] as number] as number;
        }
      }
    }
    // Phase 2: follow epsilon moves; the consuming and accepting states reached are the next live set.
    const gen = i + 1;
    let nextLen = 0;
    steps += curLen;
    while (sp > 0) {
      const s = stack[--sp] as number;
      steps++;
      if (seen[s] === gen) continue;
      seen[s] = gen;
      if (kind[s] !== KIND_EPSILON) {
        next[nextLen++] = s;
        continue;
      }
      for (let k = (outStart[s + 1] as number) - 1; k >= (outStart[s] as number); k--) {
        const t = out[k] as number;
        if (seen[t] !== gen) stack[sp++] = t;
      }
    }
    const swap = current;
    current = next;
    next = swap;
    curLen = nextLen;
    if (curLen === 0) return false;
    if (steps > MAX_MATCH_STEPS) throw new ValidationError('the glob is too complex to match', { steps });
  }
  for (let j = 0; j < curLen; j++) if (current[j] === 0) return true;
  return false;
}

export interface GlobOptions {
  /** Match a pattern without `/` against the last path segment only (`*.md` finds names anywhere). */
  matchBase?: boolean;
}

/** Compiles a glob into a predicate over `/`-separated relative paths. */
export function compileGlob(pattern: string, opts: GlobOptions = {}): (path: string) => boolean {
  if (pattern.length > MAX_GLOB_LENGTH) {
    throw new ValidationError(`glob is longer than ${MAX_GLOB_LENGTH} characters`, { length: pattern.length });
  }
  const negated = pattern.startsWith('!') && pattern.length > 1;
  const body = negated ? pattern.slice(1) : pattern;
  const machine = flatten(compile(parseSeq(body, 0, body.length)));
  const base = opts.matchBase === true && !body.includes('/');
  return (path) => {
    const subject = base ? path.slice(path.lastIndexOf('/') + 1) : path;
    return run(machine, subject) !== negated;
  };
}

/** The workspace convention: a glob without `/` matches file names anywhere, one with `/` whole paths. */
export const workspaceGlob = (pattern: string) => compileGlob(pattern, { matchBase: true });

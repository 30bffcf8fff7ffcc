// Function-level evaluation cases from doc comments: JSDoc (`/** … */`) before a JS/TS definition, a
// Python docstring after `def`/`class`, `//` comment lines before a Go `func`/`type`. The question is the
// comment's first paragraph of prose (no tags, code or markup; Go's leading symbol name dropped, it would
// give the answer away); the comment is removed from the indexed copy (line numbers kept) and the answer
// is the chunk holding the definition line.

const JS_DEF = new RegExp(
  [
    String.raw`^\s*(?:export\s+)?(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:function\*?|class|interface|type|enum)\s+([A-Za-z_$][\w$]*)`,
    String.raw`^\s*(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*[=:]`,
    String.raw`^\s*(?:module\.)?exports\.([A-Za-z_$][\w$]*)\s*=`,
    String.raw`^\s*[A-Za-z_$][\w$]*\.prototype\.([A-Za-z_$][\w$]*)\s*=`,
    String.raw`^\s+(?:(?:public|private|protected|static|readonly|async|get|set|override)\s+)*\*?([A-Za-z_$][\w$]*)\s*(?:<[^>]*>)?\s*\(`,
    String.raw`^\s+([A-Za-z_$][\w$]*)\s*:\s*(?:async\s+)?function\b`,
  ].join('|'),
);
const NOT_NAMES = new Set(['if', 'for', 'while', 'switch', 'catch', 'return', 'function', 'constructor', 'super']);

function clean(text) {
  return text
    .replace(/\[`?([^\]`]+)`?\]\{@link[^}]*\}/g, '$1')
    .replace(/\{@link\s+([^}|\s]+)[^}]*\}/g, '$1')
    .replace(/\{@\w+\s+([^}]*)\}/g, '$1')
    .replace(/<[^>]+>/g, ' ')
    .replace(/!\[[^\]]*\]\([^)]*\)/g, ' ')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
}

/** The first paragraph of prose of a comment's lines (markers already stripped). */
function firstParagraph(lines) {
  const prose = [];
  for (const l of lines) {
    if (
      /^\s*@/.test(l) ||
      /^\s*```/.test(l) ||
      /^\s*(Example|Examples|Args|Arguments|Parameters|Returns|:param)\b/.test(l)
    )
      break;
    if (l.trim() === '') {
      if (prose.length > 0) break;
      continue;
    }
    prose.push(l.trim());
  }
  return prose.join(' ');
}

function jsCases(lines) {
  const cases = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*\/\*\*/.test(lines[i])) continue;
    let end = i;
    while (end < lines.length && !lines[end].includes('*/')) end++;
    let next = end + 1;
    while (next < lines.length && (lines[next].trim() === '' || /^\s*@\w/.test(lines[next]))) next++;
    const m = JS_DEF.exec(lines[next] ?? '');
    const symbol = m?.slice(1).find(Boolean);
    if (!symbol || NOT_NAMES.has(symbol)) {
      i = end;
      continue;
    }
    const body = lines.slice(i, end + 1).map((raw) =>
      raw
        .replace(/^\s*\/\*\*?/, '')
        .replace(/\*\/\s*$/, '')
        .replace(/^\s*\*\s?/, ''),
    );
    cases.push({ from: i, to: end, line: next + 1, symbol, query: clean(firstParagraph(body)) });
    i = end;
  }
  return cases;
}

const PY_DEF = /^(\s*)(?:async\s+)?(def|class)\s+([A-Za-z_]\w*)/;

function pythonCases(lines) {
  const cases = [];
  for (let i = 0; i < lines.length; i++) {
    const m = PY_DEF.exec(lines[i]);
    if (!m) continue;
    // The signature may span lines: it ends at the first line ending with ':' (outside a comment).
    let sig = i;
    while (sig < lines.length && !/:\s*(#.*)?$/.test(lines[sig])) sig++;
    let d = sig + 1;
    while (d < lines.length && lines[d].trim() === '') d++;
    const open = /^(\s*)[rRuU]?("""|''')/.exec(lines[d] ?? '');
    if (!open) continue;
    const q = open[2];
    let end = d;
    const first = lines[d].slice(lines[d].indexOf(q) + 3);
    if (!first.includes(q)) {
      end = d + 1;
      while (end < lines.length && !lines[end].includes(q)) end++;
    }
    const body = [first, ...lines.slice(d + 1, end + 1)].map((l) => l.replace(q, ''));
    const name = m[3];
    if (/^__\w+__$/.test(name)) continue;
    cases.push({ from: d, to: end, line: i + 1, symbol: name, query: clean(firstParagraph(body)), indent: open[1] });
  }
  return cases;
}

const GO_DEF = /^(?:func\s+(?:\([^)]*\)\s*)?([A-Za-z_]\w*)|type\s+([A-Za-z_]\w*))/;

function goCases(lines) {
  const cases = [];
  for (let i = 0; i < lines.length; i++) {
    const m = GO_DEF.exec(lines[i]);
    if (!m) continue;
    let from = i;
    while (from > 0 && /^\s*\/\/(?!go:|\s*\+build)/.test(lines[from - 1])) from--;
    if (from === i) continue;
    const symbol = m[1] ?? m[2];
    const body = lines.slice(from, i).map((l) => l.replace(/^\s*\/\/\s?/, ''));
    let query = firstParagraph(body);
    if (/^Deprecated:/.test(query)) continue;
    // Go convention: the comment starts with the name ("Chunk splits …") — that would give the answer away.
    query = query.replace(new RegExp(`^(?:(?:A|An|The)\\s+)?${symbol}\\b\\s*`), '');
    cases.push({ from, to: i - 1, line: i + 1, symbol, query: clean(query) });
  }
  return cases;
}

/**
 * Cases of one file and its indexed copy (every extracted comment blanked, line count kept). Returns
 * { text, cases } with cases { query, line, symbol }.
 */
export function extractCases(language, source) {
  const lines = source.split('\n');
  const found = language === 'python' ? pythonCases(lines) : language === 'go' ? goCases(lines) : jsCases(lines);
  for (const c of found) {
    for (let k = c.from; k <= c.to; k++) lines[k] = '';
    // A Python body left empty would not parse: an Ellipsis keeps it valid and adds no words.
    if (c.indent !== undefined) lines[c.from] = `${c.indent}...`;
  }
  const cases = found
    .filter((c) => c.query.length >= 20 && c.query.split(' ').length >= 4)
    .map(({ query, line, symbol }) => ({ query, line, symbol }));
  return { text: lines.join('\n'), cases };
}

/** A small deterministic hash (FNV-1a) for a fixed, seedless sample. */
export function fnv(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * One case per question, the first of `cases` to ask it, with every definition the question was asked of
 * as its `answers` (its own first): testify's `Nil`, `Nilf` and `require.Nil` share one comment, async ships
 * `eachLimit` twice, and a question that cannot tell them apart is answered by any of them. `key`: what
 * makes two questions the same.
 */
export function askOnce(cases, key = (c) => c.query.toLowerCase()) {
  const byKey = new Map();
  for (const c of cases) {
    const answer = { path: c.path, line: c.line };
    const known = byKey.get(key(c));
    if (known) known.answers.push(answer);
    else byKey.set(key(c), { ...c, answers: [answer] });
  }
  return [...byKey.values()];
}

/**
 * Up to `n` cases, drawn round-robin across packages in a fixed hash order so that no one package fills
 * the set; each question asked once (askOnce).
 */
export function sampleCases(cases, n) {
  const byPkg = new Map();
  const ordered = [...cases].sort((a, b) => fnv(`${a.path}:${a.line}`) - fnv(`${b.path}:${b.line}`));
  for (const c of askOnce(ordered)) {
    if (!byPkg.has(c.pkg)) byPkg.set(c.pkg, []);
    byPkg.get(c.pkg).push(c);
  }
  const queues = [...byPkg.keys()].sort().map((k) => byPkg.get(k));
  const out = [];
  while (out.length < n && queues.some((q) => q.length > 0)) {
    for (const q of queues) if (q.length > 0 && out.length < n) out.push(q.shift());
  }
  return out;
}

/** Whether a hit's lines hold one of the question's answers (its own definition when it names no others). */
export function isAnswer(hit, q) {
  return (q.answers ?? [q]).some((a) => hit.path === a.path && hit.startLine <= a.line && a.line <= hit.endLine);
}

/** The 1-based rank of the first hit that answers `q`, or Infinity. `strict`: only `q`'s own definition. */
export function rankOf(hits, q, strict = false) {
  const i = hits.findIndex((h) => isAnswer(h, strict ? { path: q.path, line: q.line } : q));
  return i < 0 ? Number.POSITIVE_INFINITY : i + 1;
}

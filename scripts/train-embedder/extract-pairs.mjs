// (doc comment, code) pairs from source files, per language: Python docstrings, Go `//` comments above
// func/type, Rust `///` above fn/struct/enum/trait, JSDoc `/** */` above JS/TS definitions. Used by
// train.mjs (pairs) and by bench/embedder-eval.mjs (queries, with the comment's lines to blank out).
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export const EXTENSIONS = { python: /\.py$/, go: /(?<!_test)\.go$/, rust: /\.rs$/, js: /\.(?:[cm]?js|ts|tsx)$/ };
const SKIP_DIR = /^(?:node_modules|tests?|__tests__|testdata|examples?|benches|fixtures|\..*)$/;
const MAX_CODE_LINES = 60;

/** Source files of one language under a folder, sorted, with paths relative to it. */
export function sourceFiles(root, lang) {
  const out = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIR.test(e.name)) walk(abs);
      } else if (e.isFile() && EXTENSIONS[lang].test(e.name) && !e.name.endsWith('.min.js')) {
        if (statSync(abs).size <= 512 * 1024) out.push({ abs, rel: path.relative(root, abs) });
      }
    }
  };
  walk(root);
  return out;
}

/** Doc text to the question it answers: first paragraph of prose, no tags, code, links or markup. */
export function cleanDoc(lines) {
  const prose = [];
  for (const l of lines) {
    if (/^\s*(@|:param|:return|:raise|Args:|Returns:|Raises:|Parameters\b|# |```|>>>)/.test(l)) break;
    if (l.trim() === '' && prose.length > 0) break;
    prose.push(l.trim());
  }
  return prose
    .join(' ')
    .replace(/\{@link\s+([^}|]+)[^}]*\}/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/https?:\/\/\S+/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/[`*]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
}

const usable = (doc) =>
  doc.length >= 20 && doc.split(' ').length >= 4 && !/^(todo|fixme|deprecated|copyright|license)/i.test(doc);

/**
 * Pairs of one file: { doc, code, symbol, docLines: [from, to] (0-based, inclusive), line (0-based
 * definition line) }. Code is the definition without its doc comment, at most 60 lines.
 */
export function extractPairs(text, lang) {
  const lines = text.split('\n');
  if (lines.some((l) => l.length > 1000)) return [];
  return (EXTRACT[lang] ?? (() => []))(lines).filter((p) => usable(p.doc));
}

const indentOf = (l) => l.length - l.trimStart().length;

function blockEnd(lines, start, open = '{', close = '}') {
  let depth = 0;
  let seen = false;
  for (let i = start; i < lines.length && i < start + MAX_CODE_LINES; i++) {
    for (const ch of lines[i].replace(/(["'`])(?:\\.|(?!\1).)*\1/g, '""').replace(/\/\/.*$/, '')) {
      if (ch === open) {
        depth++;
        seen = true;
      } else if (ch === close) depth--;
    }
    if (seen && depth <= 0) return i;
    if (!seen && /;\s*$/.test(lines[i])) return i;
  }
  return Math.min(lines.length - 1, start + MAX_CODE_LINES - 1);
}

const EXTRACT = {
  python(lines) {
    const out = [];
    for (let i = 0; i < lines.length; i++) {
      const m = /^(\s*)(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)/.exec(lines[i]);
      if (!m || /^test_|^__\w+__$/.test(m[2])) continue;
      const ind = m[1].length;
      let sigEnd = i;
      while (sigEnd < lines.length - 1 && !/:\s*(#.*)?$/.test(lines[sigEnd]) && sigEnd < i + 15) sigEnd++;
      let d = sigEnd + 1;
      while (d < lines.length && lines[d].trim() === '') d++;
      const q = /^\s*[rRuU]?("""|''')/.exec(lines[d] ?? '');
      if (!q) continue;
      let end = d;
      const first = lines[d].trim().slice(q[0].trim().length);
      if (!first.includes(q[1])) {
        end = d + 1;
        while (end < lines.length && !lines[end].includes(q[1])) end++;
      }
      const docLines = [first.split(q[1])[0], ...lines.slice(d + 1, end + 1).map((l) => l.split(q[1])[0])];
      let bodyEnd = end + 1;
      while (bodyEnd < lines.length && bodyEnd < end + MAX_CODE_LINES) {
        const l = lines[bodyEnd];
        if (l.trim() !== '' && indentOf(l) <= ind) break;
        bodyEnd++;
      }
      const code = [...lines.slice(i, sigEnd + 1), ...lines.slice(end + 1, bodyEnd)].join('\n');
      out.push({ doc: cleanDoc(docLines), code, symbol: m[2], docLines: [d, end], line: i });
    }
    return out;
  },
  go(lines) {
    const out = [];
    for (let i = 0; i < lines.length; i++) {
      const m = /^(?:func\s+(?:\([^)]*\)\s*)?|type\s+)([A-Za-z_]\w*)/.exec(lines[i]);
      if (!m || !/^\/\//.test(lines[i - 1] ?? '')) continue;
      let s = i - 1;
      while (s > 0 && /^\/\//.test(lines[s - 1])) s--;
      const doc = cleanDoc(lines.slice(s, i).map((l) => l.replace(/^\/\/\s?/, '')));
      const end = blockEnd(lines, i);
      out.push({ doc, code: lines.slice(i, end + 1).join('\n'), symbol: m[1], docLines: [s, i - 1], line: i });
    }
    return out;
  },
  rust(lines) {
    const out = [];
    for (let i = 0; i < lines.length; i++) {
      const m =
        /^\s*(?:pub(?:\([^)]*\))?\s+)?(?:const\s+|async\s+|unsafe\s+|extern\s+"C"\s+)*(?:fn|struct|enum|trait)\s+([A-Za-z_]\w*)/.exec(
          lines[i],
        );
      if (!m) continue;
      let e = i - 1;
      while (e >= 0 && /^\s*#\[/.test(lines[e])) e--;
      if (e < 0 || !/^\s*\/\/\//.test(lines[e])) continue;
      let s = e;
      while (s > 0 && /^\s*\/\/\//.test(lines[s - 1])) s--;
      const doc = cleanDoc(lines.slice(s, e + 1).map((l) => l.replace(/^\s*\/\/\/\s?/, '')));
      const end = blockEnd(lines, i);
      out.push({ doc, code: lines.slice(i, end + 1).join('\n'), symbol: m[1], docLines: [s, e], line: i });
    }
    return out;
  },
  js(lines) {
    const out = [];
    const DEF =
      /^\s*(?:export\s+)?(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?(?:public\s+|private\s+|protected\s+|static\s+|readonly\s+|get\s+|set\s+)*(?:async\s+)?(?:function\*?\s+([A-Za-z_$][\w$]*)|class\s+([A-Za-z_$][\w$]*)|(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=|interface\s+([A-Za-z_$][\w$]*)|type\s+([A-Za-z_$][\w$]*)|([A-Za-z_$][\w$]*)\s*(?:<[^>]*>)?\s*\(|(?:exports\.|module\.exports\.)?([A-Za-z_$][\w$]*)\s*[:=]\s*(?:async\s+)?function)/;
    for (let i = 0; i < lines.length; i++) {
      if (!/^\s*\/\*\*/.test(lines[i])) continue;
      let end = i;
      while (end < lines.length && !lines[end].includes('*/')) end++;
      let next = end + 1;
      while (next < lines.length && lines[next].trim() === '') next++;
      const m = DEF.exec(lines[next] ?? '');
      const symbol = m?.slice(1).find(Boolean);
      if (!symbol || /^(if|for|while|switch|return|catch)$/.test(symbol)) continue;
      const doc = cleanDoc(
        lines.slice(i, end + 1).map((l) =>
          l
            .replace(/^\s*\/\*\*?/, '')
            .replace(/\*\/\s*$/, '')
            .replace(/^\s*\*\s?/, ''),
        ),
      );
      const last = blockEnd(lines, next);
      out.push({ doc, code: lines.slice(next, last + 1).join('\n'), symbol, docLines: [i, end], line: next });
      i = end;
    }
    return out;
  },
};

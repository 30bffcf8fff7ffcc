/**
 * Import statements, left out of the FTS body column: they name other modules (`var _eachOfLimit =
 * require('./eachOfLimit.js')`), so a file's import block matched questions about those modules and
 * crowded the definitions out of BM25's top 5 (bench/rag-eval, tune half). The chunk's stored content,
 * its symbol column and its vector keep them.
 */

/**
 * One line that is a whole import: JS/TS `import`/re-export/`require`, Babel interop, Python, Go.
 * Security: workspace lines are hostile; each part has one way to match (no `\s+` beside a class that
 * also takes spaces), so a long line costs linear time.
 */
const IMPORT_LINE = new RegExp(
  [
    String.raw`^\s*import(?:\s+|\s*[{*'"(])`,
    String.raw`^\s*export\s+(?:type\s+)?(?:\*|\{[^}]*\})\s*(?:as\s+\w+\s+)?from\s*['"]`,
    String.raw`^\s*(?:var|let|const)\s+[\w\${},:][\w\${},:\s]*=\s*(?:_interopRequire\w*\()?require\(\s*['"][^'"]+['"]\s*\)\)?[;,]?\s*$`,
    String.raw`^\s*(?:var|let|const)\s+\w+\s*=\s*_interopRequire\w*\(\s*\w+\s*\)[;,]?\s*$`,
    String.raw`^\s*(?:require\(\s*['"][^'"]+['"]\s*\)|from\s+[\w.]+\s+import\b)`,
  ].join('|'),
);
/** The start of a statement that goes on over the next lines: `import (` (Go), `from x import (`, `import {`. */
const OPENS_BLOCK = /^\s*(?:import\s*\(\s*$|from\s+[\w.]+\s+import\s*\(\s*$|import\s+(?:type\s+)?\{[^}]*$)/;
/** The line that ends such a block. */
const CLOSES_BLOCK = /^\s*\)|\}\s*from\s*['"]/;
/** Perf: most chunks hold none of these words, and are returned as they are. */
const MAY_IMPORT = /\b(?:import|require|_interopRequire)\b/;

/** The content without its import lines (blank lines left in their place, so nothing else moves). */
export function withoutImports(content: string): string {
  if (!MAY_IMPORT.test(content)) return content;
  const lines = content.split('\n');
  let inBlock = false;
  let changed = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (inBlock) {
      if (CLOSES_BLOCK.test(line)) inBlock = false;
    } else if (OPENS_BLOCK.test(line)) {
      inBlock = true;
    } else if (!IMPORT_LINE.test(line)) {
      continue;
    }
    lines[i] = '';
    changed = true;
  }
  return changed ? lines.join('\n') : content;
}

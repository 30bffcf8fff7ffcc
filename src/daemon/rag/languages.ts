import path from 'node:path';

/** Grammars shipped as prebuilt wasm by @vscode/tree-sitter-wasm (no compiler, no download). */
export type Grammar =
  | 'typescript'
  | 'tsx'
  | 'javascript'
  | 'python'
  | 'go'
  | 'rust'
  | 'java'
  | 'c-sharp'
  | 'cpp'
  | 'ruby'
  | 'php'
  | 'bash';

export interface LanguageInfo {
  /** Name reported with every chunk and accepted by the `language` search filter. */
  language: string;
  /** How the file is chunked: by syntax tree, by Markdown headings, or by a sliding window. */
  strategy: 'syntax' | 'markdown' | 'window';
  grammar?: Grammar;
}

const syntax = (language: string, grammar: Grammar): LanguageInfo => ({ language, strategy: 'syntax', grammar });
const windowed = (language: string): LanguageInfo => ({ language, strategy: 'window' });

const BY_EXTENSION: Record<string, LanguageInfo> = {
  '.ts': syntax('typescript', 'typescript'),
  '.mts': syntax('typescript', 'typescript'),
  '.cts': syntax('typescript', 'typescript'),
  '.tsx': syntax('typescript', 'tsx'),
  '.js': syntax('javascript', 'javascript'),
  '.mjs': syntax('javascript', 'javascript'),
  '.cjs': syntax('javascript', 'javascript'),
  '.jsx': syntax('javascript', 'javascript'),
  '.py': syntax('python', 'python'),
  '.pyi': syntax('python', 'python'),
  '.go': syntax('go', 'go'),
  '.rs': syntax('rust', 'rust'),
  '.java': syntax('java', 'java'),
  '.cs': syntax('csharp', 'c-sharp'),
  '.c': syntax('c', 'cpp'),
  '.h': syntax('c', 'cpp'),
  '.cc': syntax('cpp', 'cpp'),
  '.cpp': syntax('cpp', 'cpp'),
  '.cxx': syntax('cpp', 'cpp'),
  '.hpp': syntax('cpp', 'cpp'),
  '.hh': syntax('cpp', 'cpp'),
  '.rb': syntax('ruby', 'ruby'),
  '.php': syntax('php', 'php'),
  '.sh': syntax('shell', 'bash'),
  '.bash': syntax('shell', 'bash'),
  '.md': { language: 'markdown', strategy: 'markdown' },
  '.mdx': { language: 'markdown', strategy: 'markdown' },
  '.markdown': { language: 'markdown', strategy: 'markdown' },
  '.kt': windowed('kotlin'),
  '.kts': windowed('kotlin'),
  '.swift': windowed('swift'),
  '.scala': windowed('scala'),
  '.lua': windowed('lua'),
  '.dart': windowed('dart'),
  '.ex': windowed('elixir'),
  '.exs': windowed('elixir'),
  '.erl': windowed('erlang'),
  '.hs': windowed('haskell'),
  '.ml': windowed('ocaml'),
  '.clj': windowed('clojure'),
  '.r': windowed('r'),
  '.sql': windowed('sql'),
  '.css': windowed('css'),
  '.scss': windowed('scss'),
  '.less': windowed('less'),
  '.html': windowed('html'),
  '.htm': windowed('html'),
  '.vue': windowed('vue'),
  '.svelte': windowed('svelte'),
  '.json': windowed('json'),
  '.jsonc': windowed('json'),
  '.yaml': windowed('yaml'),
  '.yml': windowed('yaml'),
  '.toml': windowed('toml'),
  '.ini': windowed('ini'),
  '.xml': windowed('xml'),
  '.graphql': windowed('graphql'),
  '.proto': windowed('protobuf'),
  '.tf': windowed('terraform'),
  '.txt': windowed('text'),
  '.rst': windowed('text'),
};

const BY_NAME: Record<string, LanguageInfo> = {
  Dockerfile: windowed('dockerfile'),
  Makefile: windowed('make'),
  Rakefile: syntax('ruby', 'ruby'),
  Gemfile: syntax('ruby', 'ruby'),
};

/** Language of a file from its name; unknown text files are chunked with a window as 'text'. */
export function languageOf(relPath: string): LanguageInfo {
  const base = path.posix.basename(relPath);
  const byName = BY_NAME[base];
  if (byName) return byName;
  const ext = path.posix.extname(base).toLowerCase();
  if (ext === '.ts' && base.endsWith('.d.ts')) return BY_EXTENSION['.ts'] as LanguageInfo;
  return BY_EXTENSION[ext] ?? windowed('text');
}

/** Every language name a chunk may carry, for the search filter's documentation. */
export const LANGUAGES: readonly string[] = [
  ...new Set([...Object.values(BY_EXTENSION), ...Object.values(BY_NAME), windowed('text')].map((l) => l.language)),
].sort();

/**
 * Light syntax highlighting: one regex pass for comments, strings, numbers and keywords of the usual
 * languages (JS/TS, Python, shell, Go, Rust, C-like, JSON, YAML). Returns one fragment per line.
 */

const KEYWORDS = new Set(
  (
    'abstract as async await break case catch class const continue def default defer del delete do elif else ' +
    'enum except export extends false finally fn for from func function go if impl implements import in ' +
    'instanceof interface is let loop match mod module mut new nil None not null of or package pass private ' +
    'protected pub public raise return self static struct super switch this throw True true try type typeof ' +
    'undefined use var void while with yield lambda and then fi done esac echo local readonly'
  ).split(' '),
);

const HASH_COMMENTS = /^(py|sh|bash|zsh|rb|yml|yaml|toml|pl|r|mk|dockerfile|conf|ini|gitignore|env)$/;

function tokenRegex(lang: string): RegExp {
  const comment = HASH_COMMENTS.test(lang) ? '#[^\\n]*' : '\\/\\/[^\\n]*|\\/\\*[\\s\\S]*?\\*\\/';
  const strings = '"(?:[^"\\\\\\n]|\\\\.)*"|\'(?:[^\'\\\\\\n]|\\\\.)*\'|`(?:[^`\\\\]|\\\\.)*`';
  return new RegExp(
    `(${comment})|(${strings})|(\\b\\d[\\d_]*(?:\\.\\d+)?(?:e[+-]?\\d+)?\\b|\\b0x[0-9a-f]+\\b)|([A-Za-z_$][\\w$]*)`,
    'gi',
  );
}

/** The language of a path, by extension (or file name: Dockerfile, Makefile). */
export function languageOf(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  if (name === 'dockerfile' || name === 'makefile') return name === 'makefile' ? 'mk' : name;
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1) : '';
}

const PLAIN = /^(txt|md|log|csv|)$/;

/** `text` as one DocumentFragment per line, with spans `c` (comment), `s` (string), `n` (number), `k` (keyword). */
export function highlight(text: string, lang: string): DocumentFragment[] {
  const lines: DocumentFragment[] = [document.createDocumentFragment()];
  const emit = (chunk: string, cls?: string) => {
    const parts = chunk.split('\n');
    parts.forEach((part, i) => {
      if (i > 0) lines.push(document.createDocumentFragment());
      if (!part) return;
      const target = lines[lines.length - 1] as DocumentFragment;
      if (!cls) target.append(part);
      else {
        const span = document.createElement('span');
        span.className = cls;
        span.textContent = part;
        target.append(span);
      }
    });
  };
  if (PLAIN.test(lang) || text.length > 2_000_000) {
    emit(text);
    return lines;
  }
  const re = tokenRegex(lang);
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) emit(text.slice(last, m.index));
    const [all, comment, string, number, word] = m;
    if (comment) emit(all, 'c');
    else if (string) emit(all, 's');
    else if (number) emit(all, 'n');
    else if (word && KEYWORDS.has(word)) emit(all, 'k');
    else emit(all);
    last = m.index + all.length;
  }
  emit(text.slice(last));
  return lines;
}

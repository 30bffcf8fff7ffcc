import { renderToString } from 'ink';
import { createElement } from 'react';
import { describe, expect, it } from 'vitest';
import { IndexProgress } from '../../src/cli/ui/index-progress.js';
import { progressBar, progressLine } from '../../src/cli/ui/progress-text.js';
import { chunkFile } from '../../src/daemon/rag/chunker.js';
import { looksMinified, skipByName } from '../../src/daemon/rag/eligibility.js';
import { dot } from '../../src/daemon/rag/embedder.js';
import { HashedEmbedder, stem } from '../../src/daemon/rag/hashed-embedder.js';
import { languageOf } from '../../src/daemon/rag/languages.js';
import { snippet } from '../../src/daemon/rag/search.js';
import { SyntaxParsers } from '../../src/daemon/rag/syntax.js';
import {
  expandForIndex,
  ftsMatchExpression,
  MAX_TOKEN_LENGTH,
  queryTerms,
  splitIdentifier,
  tokenize,
} from '../../src/daemon/rag/tokens.js';

const parsers = new SyntaxParsers();

describe('code-aware tokens', () => {
  it('splits camelCase, PascalCase, acronyms, snake_case and digits', () => {
    expect(splitIdentifier('parseHTTPRequest')).toEqual(['parse', 'http', 'request']);
    expect(splitIdentifier('snake_case_name')).toEqual(['snake', 'case', 'name']);
    expect(splitIdentifier('Base64Encoder')).toEqual(['base', '64', 'encoder']);
    expect(splitIdentifier('plain')).toEqual(['plain']);
  });

  it('indexes whole identifiers, their parts and, from three parts on, adjacent parts joined', () => {
    expect(expandForIndex('const maxRetryCount = read_config();')).toBe(
      'const maxretrycount max retry count maxretry retrycount read_config read config',
    );
    // A question naming `eachOf` meets `eachOfSeries`.
    expect(expandForIndex('eachOfSeries').split(' ')).toContain('eachof');
  });

  it('scans ASCII text as the identifier pattern matches it, and lines one by one as joined', () => {
    // Deterministic pseudo-random text over letters, digits, `_`, `$` and separators.
    let seed = 7;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 8;
    };
    const alphabet = 'aZ_$09 \n.;-(x)Yb7\t';
    for (let round = 0; round < 200; round++) {
      let text = '';
      for (let i = next() % 120; i > 0; i--) text += alphabet[next() % alphabet.length];
      if (round % 10 === 0) text += 'x'.repeat(MAX_TOKEN_LENGTH + (round % 3) - 1);
      const expected = [...text.matchAll(/[A-Za-z_$][A-Za-z0-9_$]*|[0-9]+/g)]
        .map((m) => m[0])
        .filter((w) => w.length <= MAX_TOKEN_LENGTH && w.replace(/\$/g, '') !== '')
        .map((w) => w.replace(/\$/g, '').toLowerCase());
      expect(tokenize(text).map((t) => t.word)).toEqual(expected);
      const [a = '', b = ''] = text.split('\n', 2);
      expect(tokenize(`${a}\nnaïve ${b}`)).toEqual([...tokenize(a), ...tokenize(`naïve ${b}`)]);
    }
  });

  it('quotes every query term so user text never becomes FTS5 syntax', () => {
    expect(ftsMatchExpression('parseConfig AND "x" OR NEAR(')).toBe(
      '"parseconfig" OR "parse" OR "config" OR "x" OR "near"',
    );
    expect(queryTerms('how is the retry backoff computed')).toEqual(['retry', 'backoff', 'computed']);
    expect(ftsMatchExpression('how is this')).toBe('"how" OR "is" OR "this"');
    expect(ftsMatchExpression('!!! ---')).toBeUndefined();
  });
});

describe('chunking follows code structure', () => {
  it('makes one chunk per TypeScript definition, doc comment included, and splits big classes into methods', async () => {
    const method = (n: number) =>
      `  /** Doc of method${n}. */\n  method${n}(a: number): number {\n${'    a = a + 1;\n'.repeat(30)}    return a;\n  }\n`;
    const text = [
      "import { x } from './x.js';",
      '',
      '/** Adds two numbers and returns their sum. */',
      'export function add(a: number, b: number): number {',
      '  const sum = a + b;',
      '  return sum;',
      '}',
      '',
      'export class Big {',
      method(1) + method(2) + method(3),
      '}',
      '',
    ].join('\n');
    const { language, chunks } = await chunkFile('src/math.ts', text, parsers, {
      maxChars: 800,
      minChars: 40,
      windowLines: 60,
      overlapLines: 10,
    });
    expect(language).toBe('typescript');
    const add = chunks.find((c) => c.symbol === 'add');
    expect(add).toMatchObject({ kind: 'function', startLine: 3, endLine: 7 });
    expect(add?.content).toContain('Adds two numbers');
    expect(chunks.map((c) => c.symbol)).toEqual(expect.arrayContaining(['Big.method1', 'Big.method2', 'Big.method3']));
    const m2 = chunks.find((c) => c.symbol === 'Big.method2');
    expect(m2?.content.startsWith('  /** Doc of method2. */')).toBe(true);
    for (const c of chunks) expect(c.content.length).toBeLessThanOrEqual(1600);
  });

  it('names Python functions and classes, and methods inside classes', async () => {
    const text =
      'import os\n\n\ndef load_settings(path):\n    """Read settings."""\n    with open(path) as f:\n        return f.read()\n\n\nclass Store:\n    def get(self, key):\n        return self.data[key]\n';
    const { chunks } = await chunkFile('app/store.py', text, parsers, {
      maxChars: 2400,
      minChars: 10,
      windowLines: 60,
      overlapLines: 10,
    });
    expect(chunks.find((c) => c.symbol === 'load_settings')).toMatchObject({ kind: 'function', startLine: 4 });
    expect(chunks.find((c) => c.symbol === 'Store')).toMatchObject({ kind: 'class' });
  });

  it('chunks Go and Rust by their definitions', async () => {
    const go = await chunkFile(
      'main.go',
      'package main\n\nfunc Serve(addr string) error {\n\treturn nil\n}\n\ntype Server struct {\n\tAddr string\n}\n',
      parsers,
      {
        maxChars: 2400,
        minChars: 10,
        windowLines: 60,
        overlapLines: 10,
      },
    );
    expect(go.chunks.map((c) => c.symbol)).toEqual(expect.arrayContaining(['Serve', 'Server']));
    const rs = await chunkFile(
      'lib.rs',
      'pub fn parse_line(s: &str) -> usize {\n    s.len()\n}\n\nimpl Parser {\n    fn next(&mut self) {}\n}\n',
      parsers,
      {
        maxChars: 2400,
        minChars: 10,
        windowLines: 60,
        overlapLines: 10,
      },
    );
    expect(rs.chunks.map((c) => c.symbol)).toEqual(expect.arrayContaining(['parse_line', 'Parser']));
  });

  it('splits Markdown by headings, ignoring # inside code fences', async () => {
    const text = '# Title\nintro\n## Install\nnpm i\n```sh\n# not a heading\n```\n## Use\nrun it\n';
    const { chunks } = await chunkFile('README.md', text, parsers);
    expect(chunks.map((c) => [c.symbol, c.startLine, c.endLine])).toEqual([
      ['Title', 1, 2],
      ['Title > Install', 3, 7],
      ['Title > Use', 8, 9],
    ]);
  });

  it('uses an overlapping sliding window for text without structure', async () => {
    const text = Array.from({ length: 150 }, (_, i) => `line ${i + 1}`).join('\n');
    const { language, chunks } = await chunkFile('notes.txt', text, parsers, {
      maxChars: 100_000,
      minChars: 10,
      windowLines: 60,
      overlapLines: 10,
    });
    expect(language).toBe('text');
    expect(chunks.map((c) => [c.startLine, c.endLine])).toEqual([
      [1, 60],
      [51, 110],
      [101, 150],
    ]);
  });

  it('knows languages by extension and skips lockfiles, binaries, secrets and minified code', () => {
    expect(languageOf('a/b.tsx')).toMatchObject({ language: 'typescript', grammar: 'tsx' });
    expect(languageOf('x.PY').language).toBe('python');
    expect(skipByName('package-lock.json')).toBe('lockfile');
    expect(skipByName('img/logo.png')).toBe('binary');
    expect(skipByName('.env.local')).toBe('secret');
    expect(skipByName('app.min.js')).toBe('generated');
    expect(skipByName('src/index.ts')).toBeUndefined();
    expect(looksMinified(`${'var a=1;'.repeat(1000)}`)).toBe(true);
    expect(looksMinified('const a = 1;\n'.repeat(1000))).toBe(false);
  });
});

describe('hashed embedder and fusion', () => {
  it('gives unit vectors where shared vocabulary means higher similarity', () => {
    const e = new HashedEmbedder(384);
    const q = e.embedOne('parse the configuration file');
    const near = e.embedOne('function parseConfigFile(path) { return readConfiguration(path) }');
    const far = e.embedOne('render a button with a click handler');
    expect(dot(q, q)).toBeCloseTo(1, 5);
    expect(dot(q, near)).toBeGreaterThan(dot(q, far) + 0.1);
    expect(stem('parsing')).toBe(stem('parses'));
  });

  it('picks the snippet lines that hold the query terms', () => {
    const content = ['a', 'b', 'c', 'd', 'e', 'f', 'the retry backoff doubles', 'g'].join('\n');
    const s = snippet(
      { id: 1, path: 'x', language: 'text', symbol: null, kind: 'window', startLine: 10, endLine: 17, content },
      ['retry', 'backoff'],
    );
    expect(s.startLine).toBe(14);
    expect(s.text.split('\n')[2]).toBe('the retry backoff doubles');
  });
});

describe('index progress view', () => {
  const status = {
    container: 'ctr_x',
    state: 'indexing' as const,
    embedder: { id: 'disco-hashed-v1-384', dimension: 384 },
    files: 0,
    chunks: 0,
    progress: {
      phase: 'indexing' as const,
      filesTotal: 200,
      filesDone: 50,
      filesIndexed: 50,
      filesUnchanged: 0,
      filesSkipped: 0,
      filesDeleted: 0,
      chunks: 400,
      filesPerSecond: 25,
      chunksPerSecond: 200,
      etaSeconds: 66,
      elapsedMs: 2000,
      truncated: false,
    },
    startedAt: null,
    finishedAt: null,
    error: null,
  };

  it('renders a bar, counts, rate and ETA with ink', () => {
    const out = renderToString(createElement(IndexProgress, { status }));
    expect(out).toContain(progressBar(50, 200));
    expect(out).toContain('25%');
    expect(out).toContain('50/200 files');
    expect(out).toContain('ETA 1m 06s');
  });

  it('prints a plain line for pipes', () => {
    expect(progressLine(status)).toBe('ctr_x: 25% 50/200 files, 400 chunks, 25 files/s, ETA 1m 06s');
  });
});

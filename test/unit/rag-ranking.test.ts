import { describe, expect, it } from 'vitest';
import { baseVectorWeight, bm25Gap, fuse, vectorWeight } from '../../src/daemon/rag/fusion.js';
import { DEFAULT_RANKING } from '../../src/daemon/rag/ranking.js';
import {
  DEFAULT_MATCH,
  ftsMatchExpression,
  ftsPathText,
  ftsSymbolText,
  queryExpansions,
  signatureLine,
} from '../../src/daemon/rag/tokens.js';

describe('code-aware BM25 columns', () => {
  it('puts the symbol and its signature, split both ways, in the symbol column', () => {
    const content = '/** Parses it. */\n@decorated\nexport function parseConfig(filePath: string) {\n  return 1;\n}';
    expect(signatureLine(content)).toBe('export function parseConfig(filePath: string) {');
    expect(ftsSymbolText('parseConfig', content).split(' ')).toEqual(
      expect.arrayContaining(['parseconfig', 'parse', 'config', 'filepath', 'file', 'path', 'string']),
    );
    expect(signatureLine('def load(path):\n    """Loads."""\n')).toBe('def load(path):');
    expect(ftsSymbolText(null, '// only a comment\n')).toBe('');
  });

  it('indexes the words of a path', () => {
    expect(ftsPathText('src/rag/hybridSearch.ts')).toBe('src rag hybridsearch hybrid search ts');
  });
});

describe('query expansion', () => {
  it('joins adjacent plain words as code writes them', () => {
    expect(queryExpansions('read the file name from disk').any).toEqual(['filename']);
    expect(queryExpansions('parse the file name').any).toContain('filename');
    // Identifiers are already split and indexed whole: no joining across them.
    expect(queryExpansions('parseConfig value').any).toEqual([]);
  });

  it('adds code forms of verbs, when asked, to short queries only, in the symbol column', () => {
    const on = { codeFormsUpTo: 5, joinPairs: true };
    const short = queryExpansions('remove a file', on);
    expect(short.symbol).toEqual(expect.arrayContaining(['delete', 'unlink', 'rm']));
    expect(short.symbol).not.toContain('remove');
    expect(queryExpansions('check whether empty', on).symbol).toEqual(expect.arrayContaining(['is', 'has']));
    // A doc-comment-length question: its verbs are incidental, no expansion.
    const long = queryExpansions('Creates an array of elements split into groups the length of size, then removes', on);
    expect(long.symbol).toEqual([]);
    expect(ftsMatchExpression('remove file')).toBe('"remove" OR "file" OR "removefile"');
    expect(ftsMatchExpression('remove file', on)).toBe(
      '"remove" OR "file" OR "removefile" OR symbol : ("delete" OR "del" OR "unlink" OR "rm" OR "drop")',
    );
  });

  it('looks for terms most chunks hold in symbols only, unless nothing else is left', () => {
    const common = (t: string) => t === 'returns' || t === 'value';
    expect(ftsMatchExpression('returns the parsed value', DEFAULT_MATCH, common)).toBe(
      '"parsed" OR "parsedvalue" OR symbol : ("returns" OR "value")',
    );
    expect(ftsMatchExpression('returns value', DEFAULT_MATCH, common)).toBe(
      '"returnsvalue" OR symbol : ("returns" OR "value")',
    );
    expect(ftsMatchExpression('value', DEFAULT_MATCH, common)).toBe('"value"');
  });

  it('never reads a query word as an object member', () => {
    expect(() => ftsMatchExpression('constructor toString hasOwnProperty')).not.toThrow();
    expect(queryExpansions('constructor', { codeFormsUpTo: 5, joinPairs: true }).symbol).toEqual([]);
  });
});

describe('adaptive fusion', () => {
  const lex = [
    { id: 1, score: 10 },
    { id: 2, score: 9 },
    { id: 3, score: 5 },
  ];

  it('weights vectors less when BM25 has a clear winner', () => {
    expect(bm25Gap([{ id: 1, score: 10 }])).toBe(1);
    expect(bm25Gap([])).toBe(0);
    expect(bm25Gap(lex)).toBeCloseTo(0.1);
    expect(vectorWeight(0.2, lex)).toBeCloseTo(0.18);
    expect(
      vectorWeight(0.2, [
        { id: 1, score: 10 },
        { id: 2, score: 2 },
      ]),
    ).toBeCloseTo(0.04);
  });

  it('takes the vector weight from the embedder', () => {
    expect(baseVectorWeight('disco-hashed-v1-384')).toBe(0.2);
    expect(baseVectorWeight('disco-static-v1-0123abcd-384+128')).toBe(0.7);
    expect(baseVectorWeight('openai:text-embedding-3-small')).toBe(1);
    expect(baseVectorWeight('something-else')).toBe(0.5);
  });

  it('ranks with the constants it is given; the defaults cannot be changed in place', () => {
    const tuned = { ...DEFAULT_RANKING, vectorWeightByEmbedder: { 'disco-static-': 0.3 }, defaultVectorWeight: 0.1 };
    expect(baseVectorWeight('disco-static-v1-0123abcd-384+128', tuned)).toBe(0.3);
    expect(baseVectorWeight('something-else', tuned)).toBe(0.1);
    expect(() => {
      (DEFAULT_RANKING.columns as { symbol: number }).symbol = 1;
    }).toThrow(TypeError);
    expect(() => {
      (DEFAULT_RANKING.match as { joinPairs: boolean }).joinPairs = false;
    }).toThrow(TypeError);
    expect(Object.isFrozen(DEFAULT_RANKING.vectorWeightByEmbedder)).toBe(true);
  });

  it('re-ranks BM25 candidates by normalised scores, with exact cosines for those the vector list missed', () => {
    const sem = [
      { id: 3, score: 0.9 },
      { id: 4, score: 0.8 },
      { id: 2, score: 0.5 },
    ];
    // A weak vector weight keeps BM25's order.
    const weak = fuse(lex, sem, 'hybrid', 0.05, new Map([[1, 0.5]]));
    expect(weak.map((f) => f.id)).toEqual([1, 2, 3, 4]);
    expect(weak[0]).toMatchObject({ bm25: { rank: 1 } });
    // A strong weight lets vectors lift BM25's third hit to the top; id 4 (vectors only) stays below.
    const strong = fuse(lex, sem, 'hybrid', 1, new Map([[1, 0.5]]));
    expect(strong.map((f) => f.id)).toEqual([3, 1, 2, 4]);
    expect(strong[0]).toMatchObject({ bm25: { rank: 3 }, vector: { rank: 1 } });
  });

  it('keeps each list its own order in a single mode', () => {
    expect(fuse(lex, [], 'bm25', 1).map((f) => f.id)).toEqual([1, 2, 3]);
    expect(fuse([], [{ id: 7, score: 0.3 }], 'vector', 1).map((f) => f.id)).toEqual([7]);
  });
});

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Language, Node, Parser } from '@vscode/tree-sitter-wasm';
import type { Grammar } from './languages.js';

export type { Node as SyntaxNode } from '@vscode/tree-sitter-wasm';

type TreeSitterModule = typeof import('@vscode/tree-sitter-wasm');

/**
 * Tree-sitter through WebAssembly: @vscode/tree-sitter-wasm ships the runtime and prebuilt grammars in one
 * npm package with no install script, so nothing compiles or downloads (a native binding would need a
 * source build here and is no faster). One parser per grammar, loaded on first use.
 */
export class SyntaxParsers {
  private module: Promise<{ ts: TreeSitterModule; dir: string }> | undefined;
  private readonly parsers = new Map<Grammar, Promise<Parser | undefined>>();

  private init(): Promise<{ ts: TreeSitterModule; dir: string }> {
    this.module ??= (async () => {
      const require = createRequire(import.meta.url);
      const entry = require.resolve('@vscode/tree-sitter-wasm');
      const ts = require('@vscode/tree-sitter-wasm') as TreeSitterModule;
      const dir = path.dirname(entry);
      await ts.Parser.init({ locateFile: (file: string) => path.join(dir, file) });
      return { ts, dir };
    })();
    return this.module;
  }

  /** A parser for the grammar, or undefined if it cannot be loaded (the file is then chunked by window). */
  parser(grammar: Grammar): Promise<Parser | undefined> {
    let p = this.parsers.get(grammar);
    if (!p) {
      p = (async () => {
        try {
          const { ts, dir } = await this.init();
          const language: Language = await ts.Language.load(
            await readFile(path.join(dir, `tree-sitter-${grammar}.wasm`)),
          );
          const parser = new ts.Parser();
          parser.setLanguage(language);
          return parser;
        } catch {
          return undefined;
        }
      })();
      this.parsers.set(grammar, p);
    }
    return p;
  }

  /** Parses and hands the root to `use`; the tree is freed afterwards (wasm memory is not collected). */
  async withTree<T>(grammar: Grammar, text: string, use: (root: Node) => T): Promise<T | undefined> {
    const parser = await this.parser(grammar);
    if (!parser) return undefined;
    const tree = parser.parse(text);
    if (!tree) return undefined;
    try {
      return use(tree.rootNode);
    } finally {
      tree.delete();
    }
  }
}

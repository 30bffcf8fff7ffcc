import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Static `import … from '…'`, `export … from '…'` and bare `import '…'` (dynamic `import()` is not followed). */
const STATIC_IMPORT = /^\s*(?:import|export)\s+(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;

export interface ImportGraph {
  /** Every local module reached, as absolute paths. */
  files: string[];
  /** Bare specifiers (packages and node: built-ins) imported along the way. */
  packages: string[];
}

/** The modules `entry` loads before its first line runs: its static import graph (local files followed). */
export function staticImportGraph(entry: string): ImportGraph {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(STATIC_IMPORT)) {
      const spec = m[1] as string;
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
      else packages.add(spec);
    }
  };
  visit(path.resolve(entry));
  return { files: [...files].sort(), packages: [...packages].sort() };
}

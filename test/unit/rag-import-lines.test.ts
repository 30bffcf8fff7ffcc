import { describe, expect, it } from 'vitest';
import { withoutImports } from '../../src/daemon/rag/import-lines.js';

describe('import lines left out of the FTS body', () => {
  it('blanks CommonJS requires and Babel interop lines, keeping other code and the line count', () => {
    const src = [
      "'use strict';",
      "var _eachOfLimit = require('./eachOfLimit.js');",
      'var _eachOfLimit2 = _interopRequireDefault(_eachOfLimit);',
      "const { a, b } = require('y');",
      'important = 1;',
      "run(require('z'));",
    ].join('\n');
    expect(withoutImports(src).split('\n')).toEqual([
      "'use strict';",
      '',
      '',
      '',
      'important = 1;',
      "run(require('z'));",
    ]);
  });

  it('blanks ES module imports and re-exports, also over several lines', () => {
    const src =
      "import {\n  a,\n  b\n} from './c';\nimport type { X } from 'y';\nexport * from './z';\nexport { q } from './q';\nexport const k = 1;";
    expect(withoutImports(src)).toBe('\n\n\n\n\n\n\nexport const k = 1;');
  });

  it('blanks Go import blocks and Python imports', () => {
    expect(withoutImports('import (\n\t"fmt"\n\tio "io"\n)\nimport "os"\nfunc main() {}')).toBe(
      '\n\n\n\n\nfunc main() {}',
    );
    expect(withoutImports('from .x import (\n  a,\n)\nimport os\ndef f(): pass')).toBe('\n\n\n\ndef f(): pass');
  });

  it('returns code without imports unchanged', () => {
    const src = 'function importantThing() {\n  return 1;\n}';
    expect(withoutImports(src)).toBe(src);
  });

  // A workspace line is hostile: `var` and 80,000 spaces used to take ~15 s (quadratic backtracking).
  it('takes time linear in the length of a hostile line', () => {
    const best = (line: string): number => {
      let min = Number.POSITIVE_INFINITY;
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        withoutImports(line);
        min = Math.min(min, performance.now() - t0);
      }
      return Math.max(min, 0.05);
    };
    const shapes = [
      (n: number) => `var${' '.repeat(n)}x require`,
      (n: number) => `const {${'a, '.repeat(n / 3)} require`,
    ];
    for (const shape of shapes) expect(best(shape(64_000)) / best(shape(8_000))).toBeLessThan(24);
  });
});

// Regenerates the reference pages under docs/reference/ (ops, REST routes, configuration) from the op
// registry and the settings table. Run `npm run gen:docs` after changing an op or a setting;
// test/unit/docs.test.ts checks the files agree.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { referenceDocs } from '../dist/daemon/reference-docs.js';

const root = fileURLToPath(new URL('..', import.meta.url));
for (const [file, content] of Object.entries(referenceDocs())) {
  await mkdir(path.dirname(path.join(root, file)), { recursive: true });
  await writeFile(path.join(root, file), content);
}

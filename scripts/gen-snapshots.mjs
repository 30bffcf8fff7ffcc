// Rewrites the committed contract snapshots (test/snapshots/mcp-tools.json, openapi.json) from the op
// registry. Run `npm run gen:snapshots` after a deliberate change of an op's name, schema, description or
// annotations, and review the diff; test/unit/contract-snapshots.test.ts fails until they agree.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { contractSnapshots } from '../dist/daemon/contract-snapshots.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const files = [];
for (const [file, value] of Object.entries(contractSnapshots())) {
  const abs = path.join(root, file);
  await mkdir(path.dirname(abs), { recursive: true });
  await writeFile(abs, `${JSON.stringify(value, null, 2)}\n`);
  files.push(abs);
}
execFileSync('npx', ['biome', 'format', '--write', ...files], { stdio: 'inherit' });

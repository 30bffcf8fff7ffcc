// Regenerates README's configuration table from the SETTINGS table in src/daemon/settings.ts (one source of
// truth). Run `npm run docs:config` after adding or changing a setting; a unit test checks they agree.
import { readFile, writeFile } from 'node:fs/promises';
import { configTable } from '../dist/daemon/config-doc.js';

const file = new URL('../README.md', import.meta.url);
const readme = await readFile(file, 'utf8');
const start = '<!-- config:start -->';
const end = '<!-- config:end -->';
const a = readme.indexOf(start);
const b = readme.indexOf(end);
if (a < 0 || b < a) throw new Error('README.md has no config markers');
await writeFile(file, `${readme.slice(0, a + start.length)}\n${configTable()}\n${readme.slice(b)}`);

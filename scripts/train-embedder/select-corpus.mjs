// Picks the training corpus deterministically from the registries' local package lists (no registry
// look-ups): Debian's `apt-cache dumpavail` (python3-*, golang-*-dev, librust-*-dev) and the npm name list.
// Excludes every package of the evaluation corpora (/work/wt/rag-eval-packages.txt and the bench's
// node_modules sources) and anything from the same upstream project. Writes candidates.tsv
// (lang registry name version); fetch-corpus.mjs downloads them and keeps only permissive licences.
// Usage: apt-cache dumpavail > avail.txt; node select-corpus.mjs avail.txt npm.tsv > candidates.tsv
//   env: PYTHON (all), GO (all), RUST (300), NPM (320), NPM_POPULAR (300): how many of each to spread over
import { readFileSync } from 'node:fs';

const [availFile, npmFile] = process.argv.slice(2);
if (!availFile || !npmFile) throw new Error('usage: select-corpus.mjs <dumpavail.txt> <npm.tsv>');

/** Names (or name fragments) of evaluation packages and their upstream projects: never trained on. */
const EXCLUDE =
  /lodash|axios|immer|ramda|^async$|async-|commander|mobx|rxjs|^zod|ajv|es-toolkit|hono|undici|modelcontextprotocol|socket\.io|engine\.io|go-chi|gorilla|sirupsen|logrus|spf13|afero|cobra|pflag|stretchr|testify|urfave|python3-attr|attrs|click|dateutil|jinja|markdown|requests|yaml|markupsafe/i;

const stanzas = readFileSync(availFile, 'utf8').split('\n\n');
const deb = { python: [], go: [], rust: [] };
for (const s of stanzas) {
  const f = Object.fromEntries(
    s
      .split('\n')
      .filter((l) => /^[A-Za-z-]+: /.test(l))
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
  );
  const name = f.Package;
  if (!name || EXCLUDE.test(name) || EXCLUDE.test(f.Source ?? '')) continue;
  const size = Number(f.Size);
  if (f.Architecture !== 'all' && !name.startsWith('librust-')) continue;
  if (/^python3-[a-z0-9.-]+$/.test(name) && !/-(doc|dbg|tests?|dev)$/.test(name) && size < 400_000 && size > 8_000)
    deb.python.push([name, f.Version]);
  else if (/^golang-github-[a-z0-9.-]+-dev$/.test(name) && size < 1_500_000 && size > 8_000)
    deb.go.push([name, f.Version]);
  else if (/^librust-[a-z0-9-]+-dev$/.test(name) && !name.includes('+') && size < 400_000 && size > 12_000)
    deb.rust.push([name, f.Version]);
}

/** Every k-th of a sorted list: breadth across the alphabet rather than one family of packages. */
function spread(list, want) {
  const sorted = [...new Map(list.map((x) => [x[0], x])).values()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const step = Math.max(1, sorted.length / want);
  const out = [];
  for (let i = 0; i < sorted.length && out.length < want; i += step) out.push(sorted[Math.floor(i)]);
  return out;
}

const rows = [];
// How many of each kind (env): Python and Go are two of the three evaluation languages, so every eligible
// Debian package of theirs is taken by default (~2,500 python3-*, ~1,100 golang-github-*-dev in Debian 12).
const want = (name, d) => Number(process.env[name] ?? d);
for (const [name, ver] of spread(deb.python, want('PYTHON', 100_000))) rows.push(['python', 'apt', name, ver]);
for (const [name, ver] of spread(deb.go, want('GO', 100_000))) rows.push(['go', 'apt', name, ver]);
for (const [name, ver] of spread(deb.rust, want('RUST', 300))) rows.push(['rust', 'apt', name, ver]);

// npm: packages in steady use (10k–3M downloads a month), unscoped or scoped, not types-only.
const npm = [];
for (const line of readFileSync(npmFile, 'utf8').split('\n').slice(1)) {
  const [name, version, downloads] = line.split('\t');
  const d = Number(downloads);
  if (!name || !version || !(d >= 10_000 && d <= 3_000_000)) continue;
  if (EXCLUDE.test(name) || name.startsWith('@types/') || /-cli$|^eslint|^@babel|^babel-|webpack|^@aws-sdk/.test(name))
    continue;
  npm.push([name, version]);
}
for (const [name, ver] of spread(npm, want('NPM', 320))) rows.push(['js', 'npm', name, ver]);
// A second tier of widely used unscoped packages: they more often ship TypeScript sources and JSDoc.
const picked = new Set(rows.map((r) => r[2]));
const popular = [];
for (const line of readFileSync(npmFile, 'utf8').split('\n').slice(1)) {
  const [name, version, downloads] = line.split('\t');
  const d = Number(downloads);
  if (!name || !version || name.startsWith('@') || picked.has(name) || !(d > 3_000_000 && d <= 40_000_000)) continue;
  if (EXCLUDE.test(name) || /-cli$|^eslint|^babel-|webpack|^@aws-sdk/.test(name)) continue;
  popular.push([name, version]);
}
for (const [name, ver] of spread(popular, want('NPM_POPULAR', 300))) rows.push(['js', 'npm', name, ver]);

process.stdout.write(`${rows.map((r) => r.join('\t')).join('\n')}\n`);

// The multi-language retrieval evaluation's corpora: real code from well-known packages fetched through
// the npm registry (`npm pack`) and Debian (`apt-get download` + `dpkg-deb -x`), pinned by version and
// SHA-256, cached in bench/.cache (gitignored). Fixed split by package: `tune` is what ranking changes may
// be fitted on, `report` is the held-out half the goals are judged on. The list of record (also read by
// the embedder's training script, which must stay disjoint from it) is bench/rag-eval/packages.txt.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CACHE = fileURLToPath(new URL('../.cache/rag-eval/', import.meta.url));
export const PACKAGES_FILE = fileURLToPath(new URL('../rag-eval/packages.txt', import.meta.url));

/** Which files of each package are indexed (relative to the package's extracted root). */
const INCLUDE = {
  lodash: { root: 'package', files: /^[a-zA-Z]\w*\.js$/, skip: /^(lodash|core|fp|lodash\.min|core\.min)\.js$/ },
  axios: { root: 'package/lib', files: /\.js$/ },
  immer: { root: 'package/src', files: /\.ts$/ },
  ramda: { root: 'package/src', files: /\.js$/ },
  async: { root: 'package', files: /^(internal\/)?[a-zA-Z]\w*\.js$/, skip: /^(dist|es)\// },
  commander: { root: 'package', files: /^(index\.js|lib\/.*\.js)$/ },
  mobx: { root: 'package/src', files: /\.ts$/ },
};

/** Parses packages.txt: `language registry name version split=… sha256=…`, `#` comments. */
export async function readPackages(file = PACKAGES_FILE) {
  const out = [];
  for (const line of (await readFile(file, 'utf8')).split('\n')) {
    const l = line.trim();
    if (!l || l.startsWith('#')) continue;
    const [language, registry, name, version, ...kv] = l.split(/\s+/);
    const attrs = Object.fromEntries(kv.map((p) => p.split('=')));
    // js and ts are one evaluation language (one index, one goal).
    out.push({ language: language === 'ts' ? 'js' : language, registry, name, version, ...attrs });
  }
  return out;
}

const sha256 = async (file) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

/** Fetches (once) and extracts one package; returns the directory holding its source files. */
export async function fetchPackage(p) {
  const dir = path.join(CACHE, `${p.name}-${p.version}`.replace(/[^\w.+~-]/g, '_'));
  const done = path.join(dir, '.ok');
  if (!existsSync(done)) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    let archive;
    if (p.registry === 'npm') {
      const out = execFileSync('npm', ['pack', `${p.name}@${p.version}`, '--silent', '--pack-destination', dir], {
        encoding: 'utf8',
      });
      archive = path.join(dir, out.trim().split('\n').pop());
    } else if (p.registry === 'apt') {
      execFileSync('apt-get', ['download', `${p.name}=${p.version}`], { cwd: dir, stdio: 'ignore' });
      const deb = (await readdir(dir)).find((f) => f.endsWith('.deb'));
      if (!deb) throw new Error(`apt-get download ${p.name}=${p.version} wrote no .deb`);
      archive = path.join(dir, deb);
    } else throw new Error(`unknown registry ${p.registry}`);
    const got = await sha256(archive);
    if (p.sha256 && got !== p.sha256) throw new Error(`${p.name}@${p.version}: sha256 ${got}, expected ${p.sha256}`);
    const x = path.join(dir, 'x');
    await mkdir(x);
    if (p.registry === 'npm') execFileSync('tar', ['xzf', archive, '-C', x]);
    else execFileSync('dpkg-deb', ['-x', archive, x]);
    await rm(archive);
    await writeMarker(done);
  }
  return path.join(dir, 'x');
}

async function writeMarker(file) {
  const tmp = `${file}.tmp`;
  await (await import('node:fs/promises')).writeFile(tmp, 'ok\n');
  await rename(tmp, file);
}

async function* walk(dir, base = dir) {
  let entries;
  try {
    entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  } catch {
    return;
  }
  for (const e of entries) {
    const abs = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(abs, base);
    else if (e.isFile()) yield { abs, rel: path.relative(base, abs).split(path.sep).join('/') };
  }
}

/** The source files of a fetched package: { abs, rel } with rel prefixed by the package name. */
export async function packageFiles(p, root) {
  const out = [];
  let base;
  let keep;
  if (p.registry === 'npm') {
    const inc = INCLUDE[p.name];
    if (!inc) throw new Error(`no include rule for npm package ${p.name}`);
    base = path.join(root, inc.root);
    keep = (rel) => inc.files.test(rel) && !inc.skip?.test(rel) && !rel.endsWith('.d.ts');
  } else if (p.language === 'python') {
    base = path.join(root, 'usr/lib/python3/dist-packages');
    keep = (rel) => rel.endsWith('.py') && !/(^|\/)tests?\//.test(rel);
  } else if (p.language === 'go') {
    base = path.join(root, 'usr/share/gocode/src');
    keep = (rel) => rel.endsWith('.go') && !rel.endsWith('_test.go') && !/(^|\/)(vendor|testdata)\//.test(rel);
  } else throw new Error(`no file rule for ${p.language}`);
  for await (const f of walk(base)) {
    if (!keep(f.rel)) continue;
    // The indexer skips dist/, build/, vendor/ trees as generated: keep paths it indexes.
    const rel = `${p.name}/${f.rel}`
      .split('/')
      .map((seg) => (['dist', 'build', 'vendor', 'node_modules'].includes(seg) ? `${seg}_` : seg))
      .join('/');
    out.push({ abs: f.abs, rel, pkg: p.name });
  }
  return out;
}

/**
 * The evaluation sets of one split: per language, the indexed copies of its packages' files (doc
 * comments blanked) and up to `perSet` cases drawn across packages.
 */
export async function loadSets(packages, split, perSet, extractCases, sampleCases) {
  const sets = [];
  for (const language of [...new Set(packages.map((p) => p.language))]) {
    const files = [];
    const all = [];
    const pkgs = packages.filter((p) => p.language === language && p.split === split);
    if (pkgs.length === 0) continue;
    for (const p of pkgs) {
      const root = await fetchPackage(p);
      for (const f of await packageFiles(p, root)) {
        const { text, cases } = extractCases(language, await readFile(f.abs, 'utf8'));
        files.push({ rel: f.rel, text });
        for (const c of cases) all.push({ ...c, path: f.rel, pkg: p.name });
      }
    }
    sets.push({
      language,
      split,
      files,
      cases: sampleCases(all, perSet),
      packages: pkgs.map((p) => `${p.name}@${p.version}`),
    });
  }
  return sets;
}

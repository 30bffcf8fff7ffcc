// Downloads the candidate packages through the registries' ordinary clients (`apt-get download` +
// `dpkg-deb -x`, `npm pack`), reads each one's licence and keeps only permissively licensed ones
// (MIT/Expat, BSD, Apache-2.0, ISC, PSF). Writes <out>/corpus.tsv: lang registry name version licence.
// The corpus itself stays out of the repository; corpus.tsv is committed beside this script.
// Usage: node fetch-corpus.mjs candidates.tsv /tmp/embed-corpus
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { permissive } from './licences.mjs';

const [candidatesFile, out] = process.argv.slice(2);
if (!candidatesFile || !out) throw new Error('usage: fetch-corpus.mjs <candidates.tsv> <outdir>');
const rows = readFileSync(candidatesFile, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => l.split('\t'));
mkdirSync(path.join(out, 'dl'), { recursive: true });

/** The licence of the `Files: *` stanza of a Debian machine-readable copyright file, else a keyword guess. */
function debianLicence(file) {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8');
  for (const stanza of text.split(/\n\s*\n/)) {
    if (/^Files:\s*\*\s*$/m.test(stanza)) {
      const m = /^License:\s*(.+)$/m.exec(stanza);
      if (m) return m[1].trim();
    }
  }
  const m = /^License:\s*(.+)$/m.exec(text);
  return m ? m[1].trim() : '';
}

const kept = [];
const done = (r) => existsSync(path.join(out, r[0], r[2].replace('/', '__')));
const sh = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 });

const apt = rows.filter((r) => r[1] === 'apt');
for (let i = 0; i < apt.length; i += 40) {
  const chunk = apt.slice(i, i + 40).filter((r) => !done(r));
  const dl = path.join(out, 'dl');
  if (chunk.length > 0)
    try {
      sh('apt-get', ['download', ...chunk.map((r) => `${r[2]}=${r[3]}`)], dl);
    } catch {
      // One missing version fails the whole call: retry one by one.
      for (const r of chunk) {
        try {
          sh('apt-get', ['download', `${r[2]}=${r[3]}`], dl);
        } catch {
          process.stderr.write(`skip ${r[2]}: download failed\n`);
        }
      }
    }
  for (const r of apt.slice(i, i + 40)) {
    if (done(r)) {
      const lic = debianLicence(path.join(out, r[0], r[2], 'usr/share/doc', r[2], 'copyright'));
      if (permissive(lic)) kept.push([...r, lic]);
      continue;
    }
    const deb = readdirSync(dl).find((f) => f.startsWith(`${r[2]}_`) && f.endsWith('.deb'));
    if (!deb) continue;
    const dest = path.join(out, r[0], r[2]);
    mkdirSync(dest, { recursive: true });
    sh('dpkg-deb', ['-x', path.join(dl, deb), dest]);
    rmSync(path.join(dl, deb));
    const lic = debianLicence(path.join(dest, 'usr/share/doc', r[2], 'copyright'));
    if (permissive(lic)) kept.push([...r, lic]);
    else {
      process.stderr.write(`drop ${r[2]}: licence ${lic || 'unknown'}\n`);
      rmSync(dest, { recursive: true, force: true });
    }
  }
  process.stderr.write(`apt ${Math.min(i + 40, apt.length)}/${apt.length}\n`);
}

const npm = rows.filter((r) => r[1] === 'npm');
const tgzName = (r) => `${r[2].replace('@', '').replace('/', '-')}-${r[3]}.tgz`;
for (let i = 0; i < npm.length; i += 20) {
  const chunk = npm.slice(i, i + 20);
  const dl = path.join(out, 'dl');
  const todo = chunk.filter((r) => !done(r));
  // Perf: one npm process packs the whole chunk; a failure falls back to one at a time.
  try {
    if (todo.length > 0) sh('npm', ['pack', ...todo.map((r) => `${r[2]}@${r[3]}`), '--silent', '--ignore-scripts'], dl);
  } catch {
    for (const r of todo) {
      try {
        sh('npm', ['pack', `${r[2]}@${r[3]}`, '--silent', '--ignore-scripts'], dl);
      } catch {
        process.stderr.write(`skip ${r[2]}: pack failed\n`);
      }
    }
  }
  for (const r of chunk) {
    const dest = path.join(out, r[0], r[2].replace('/', '__'));
    if (!done(r)) {
      const tgz = path.join(dl, tgzName(r));
      if (!existsSync(tgz)) continue;
      mkdirSync(dest, { recursive: true });
      sh('tar', ['-xzf', tgz, '-C', dest]);
      rmSync(tgz);
    }
    let lic = '';
    try {
      const pj = JSON.parse(readFileSync(path.join(dest, 'package', 'package.json'), 'utf8'));
      lic = typeof pj.license === 'string' ? pj.license : (pj.license?.type ?? '');
    } catch {}
    if (permissive(lic)) kept.push([...r, lic]);
    else {
      process.stderr.write(`drop ${r[2]}: licence ${lic || 'unknown'}\n`);
      rmSync(dest, { recursive: true, force: true });
    }
  }
  process.stderr.write(`npm ${Math.min(i + 20, npm.length)}/${npm.length}\n`);
}

writeFileSync(
  path.join(out, 'corpus.tsv'),
  `# lang\tregistry\tname\tversion\tlicence\n${kept.map((r) => r.join('\t')).join('\n')}\n`,
);
process.stderr.write(`kept ${kept.length} of ${rows.length}\n`);

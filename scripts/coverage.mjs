#!/usr/bin/env node
// Runs the test suite with coverage, counting the code that runs in the `disco` processes the tests spawn
// (CLI, serve, worker, stdio MCP) and in worker threads, which V8 coverage of the test workers cannot see.
//
// Spawned processes run the compiled `dist/` with source maps and write raw V8 coverage to
// NODE_V8_COVERAGE; those profiles are mapped back to `src/` and merged into vitest's report for every
// file vitest saw no execution of; a file both saw keeps the one measurement that covered more of it
// (the two converters' maps are never summed, so nothing is counted twice). Thresholds are enforced on the merged totals.
//
// Usage: node scripts/coverage.mjs [-- vitest args…]   (CI: `.ci/run`)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import libCoverage from 'istanbul-lib-coverage';
import v8ToIstanbul from 'v8-to-istanbul';

const THRESHOLDS = { lines: 85, branches: 80 };
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = pathToFileURL(path.join(root, 'dist')).href;
const raw = mkdtempSync(path.join(os.tmpdir(), 'disco-v8-'));
const extra = process.argv.slice(2).filter((a) => a !== '--');

const run = spawnSync(
  'npx',
  ['vitest', 'run', '--coverage', '--coverage.reporter=json', '--coverage.reporter=json-summary', ...extra],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_V8_COVERAGE: raw } },
);

const map = libCoverage.createCoverageMap(
  JSON.parse(readFileSync(path.join(root, 'coverage', 'coverage-final.json'), 'utf8')),
);
const executed = (fc) => Object.values(fc.s).some((n) => n > 0);
const covered = (fc) => {
  const sum = fc.toSummary();
  return sum.lines.covered / Math.max(1, sum.lines.total) + sum.branches.covered / Math.max(1, sum.branches.total);
};
const fromChildren = libCoverage.createCoverageMap({});
for (const file of readdirSync(raw)) {
  let profile;
  try {
    profile = JSON.parse(readFileSync(path.join(raw, file), 'utf8'));
  } catch {
    continue; // a process killed while writing its profile
  }
  for (const entry of profile.result ?? []) {
    if (!entry.url.startsWith(dist) || !entry.url.endsWith('.js')) continue;
    const converter = v8ToIstanbul(fileURLToPath(entry.url));
    try {
      await converter.load();
      converter.applyCoverage(entry.functions);
      fromChildren.merge(converter.toIstanbul());
    } catch {
      // A file rebuilt since the profile was taken: skip it.
    } finally {
      converter.destroy();
    }
  }
}
let added = 0;
for (const file of fromChildren.files()) {
  if (!file.startsWith(path.join(root, 'src'))) continue;
  const mine = map.data[file] ? map.fileCoverageFor(file) : undefined;
  const theirs = fromChildren.fileCoverageFor(file);
  // Both saw it run (a module the tests load and a worker thread or child also runs): keep the one
  // measurement that saw more of it — two converters' maps cannot be summed.
  if (mine && executed(mine) && covered(mine) >= covered(theirs)) continue;
  if (mine) delete map.data[file];
  map.addFileCoverage(theirs);
  added++;
}
rmSync(raw, { recursive: true, force: true });

writeFileSync(path.join(root, 'coverage', 'coverage-merged.json'), JSON.stringify(map.toJSON()));
const total = map.getCoverageSummary().toJSON();
writeFileSync(path.join(root, 'coverage', 'coverage-merged-summary.json'), `${JSON.stringify(total, null, 2)}\n`);
const pct = (k) => total[k].pct;
process.stdout.write(
  `coverage (tests + ${added} files run only in spawned processes or threads): ` +
    `lines ${pct('lines')}% · branches ${pct('branches')}% · functions ${pct('functions')}% · statements ${pct('statements')}%\n`,
);
let failed = false;
for (const [k, min] of Object.entries(THRESHOLDS)) {
  if (pct(k) < min) {
    process.stderr.write(`coverage: ${k} ${pct(k)}% is below the ${min}% threshold\n`);
    failed = true;
  }
}
process.exit(run.status !== 0 ? (run.status ?? 1) : failed ? 1 : 0);

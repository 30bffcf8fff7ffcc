// Git benchmark: git_status over REST on a 10,000-file repository beside the bare `git status` it wraps,
// interleaved in the same run. Writes bench/results/git.json. Run with `npm run bench`.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { client, spawnDaemon, stopDaemon } from './lib/daemon.mjs';
import { measurePair } from './lib/stats.mjs';

const TOKEN = `bench-${Date.now()}-token-padding`;
const FILES = 10_000;
const home = await mkdtemp(path.join(os.tmpdir(), 'disco-bench-git-'));
const gitEnv = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', HOME: home };
const git = (cwd, ...args) => execFileSync('git', args, { cwd, env: gitEnv, maxBuffer: 64 << 20 });

const { child, url } = await spawnDaemon(home, TOKEN);
const results = {};
try {
  const call = client(url, TOKEN);
  const c = await call('POST', '/api/v1/containers', { name: 'big' });
  const repo = path.join(home, 'containers', c.id, 'big');
  for (let d = 0; d < 100; d++) {
    const dir = path.join(repo, `pkg${d}`, 'src');
    await mkdir(dir, { recursive: true });
    for (let f = 0; f < FILES / 100; f++) {
      await writeFile(path.join(dir, `file${f}.ts`), `export const v${d}_${f} = ${d * f};\n`);
    }
  }
  git(repo, 'init', '-q', '--initial-branch=main');
  git(repo, 'add', '.');
  git(repo, '-c', 'user.name=b', '-c', 'user.email=b@x', 'commit', '-qm', 'seed');
  for (let i = 0; i < 50; i++) await writeFile(path.join(repo, `pkg${i}`, 'src', 'file1.ts'), `changed ${i}\n`);
  for (let i = 0; i < 20; i++) await writeFile(path.join(repo, `untracked${i}.txt`), 'new\n');

  const statusArgs = ['status', '--porcelain=v2', '--branch', '-z', '--untracked-files=all'];
  const { a: rest, b: bare } = await measurePair(
    60,
    async () => {
      const r = await call('GET', `/api/v1/containers/${c.id}/git/status?path=big`);
      if (r.entries.length !== 70) throw new Error(`expected 70 changes, got ${r.entries.length}`);
    },
    async () => git(repo, ...statusArgs),
    10,
  );
  const health = await fetch(`${url}/health`).then((r) => r.json());
  const ratio = Math.round((rest.p50 / bare.p50) * 100) / 100;
  results.sandbox = health.checks.sandbox.mode;
  results.repoFiles = FILES;
  results.gitStatusRestMs = rest;
  results.gitStatusBareMs = bare;
  results.gitStatusRatio = { value: ratio, target: '< 1.5x (p50 over bare git status)', pass: ratio < 1.5 };
  call.close();
} finally {
  await stopDaemon(child);
  await rm(home, { recursive: true, force: true, maxRetries: 5 });
}
results.machine = { cpus: os.cpus().length, node: process.version };
const out = new URL('./results/git.json', import.meta.url);
await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(
  `git_status (${FILES} files, sandbox ${results.sandbox}): REST p50 ${results.gitStatusRestMs.p50} ms, bare git p50 ${results.gitStatusBareMs.p50} ms, ratio ${results.gitStatusRatio.value}x`,
);
console.log(`wrote ${out.pathname}`);

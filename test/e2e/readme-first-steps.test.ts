import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServeProcess, spawnServe } from '../helpers/cli.js';
import { tempDir } from '../helpers/daemon.js';
import { childEnv } from '../helpers/env.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The shell lines of the README's "First steps", as a reader copies them. */
function firstSteps(): string {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('## First steps');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README has no sh block under "## First steps"');
  return block;
}

/** `sh -e` in the checkout, with a PATH holding no other `disco` (a global install must not answer for it). */
function runShell(script: string, env: Record<string, string>) {
  const system = (process.env.PATH ?? '').split(':').filter((d) => d && !existsSync(path.join(d, 'disco')));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn('sh', ['-e', '-c', script], {
      cwd: root,
      env: childEnv({ ...env, PATH: system.join(':') }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let home: string;
let serve: ServeProcess;

beforeAll(async () => {
  home = await tempDir('disco-e2e-readme-');
  serve = await spawnServe(home);
});

afterAll(async () => {
  await serve?.stop();
  await rm(home, { recursive: true, force: true });
});

describe("the README's first steps", () => {
  it('put a working `disco` on PATH from the checkout and run as written', { timeout: 60_000 }, async () => {
    const script = firstSteps();
    expect(script).toMatch(/^export PATH="\$PWD\/bin:\$PATH"$/m);
    const r = await runShell(`${script}\ncommand -v disco\ndisco --version`, {
      DISCO_URL: serve.url,
      DISCO_HOME: home,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('hi\n'); // disco exec demo -- node hello.js
    expect(r.stdout).toMatch(/hello\.js:1:\d+: console\.log\("hi"\)/); // disco files search demo hi
    const lines = r.stdout.trim().split('\n');
    expect(lines.at(-2)).toBe(path.join(root, 'bin', 'disco'));
    const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    expect(lines.at(-1)).toBe(version);
  });
});

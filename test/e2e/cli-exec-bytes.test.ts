import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disco, type ServeProcess, spawnServe } from '../helpers/cli.js';
import { tempDir } from '../helpers/daemon.js';

let home: string;
let serve: ServeProcess;
let env: Record<string, string>;

beforeAll(async () => {
  home = await tempDir('disco-e2e-bytes-');
  // The daemon runs with this test's PATH (node_modules/.bin first under npm, ~/.cargo/bin…).
  serve = await spawnServe(home, { PATH: `${process.cwd()}/node_modules/.bin:${process.env.PATH ?? ''}` });
  env = { DISCO_URL: serve.url, DISCO_HOME: home };
  expect((await disco(['containers', 'create', 'b'], env)).code).toBe(0);
});
afterAll(async () => {
  serve.child.kill('SIGTERM');
  await new Promise((r) => serve.child.once('exit', r));
  await rm(home, { recursive: true, force: true });
});

describe('exec: the bytes and the environment a command gets', () => {
  it('gives a command a clean system PATH, never the daemon’s own', async () => {
    const r = await disco(['exec', 'b', '--shell', '--', 'echo $PATH'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    expect(r.stdout).not.toMatch(/node_modules|\.cargo|pyenv/);
  });
});

import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disco, type ServeProcess, spawnServe } from '../helpers/cli.js';
import { tempDir } from '../helpers/daemon.js';

let home: string;
let serve: ServeProcess;
let env: Record<string, string>;

beforeAll(async () => {
  home = await tempDir('disco-e2e-work-');
  serve = await spawnServe(home);
  env = { DISCO_URL: serve.url, DISCO_HOME: home };
  expect((await disco(['containers', 'create', 'w'], env)).code).toBe(0);
});
afterAll(async () => {
  await serve.stop();
  await rm(home, { recursive: true, force: true });
});

describe('the CLI for long work, git, terminals and any op', () => {
  it('starts a long command, watches it, feeds it input and kills it — no call blocks', async () => {
    const started = Date.now();
    const bg = await disco(
      ['exec', 'w', '--background', '--shell', '--', 'while read l; do echo "got:$l"; done; sleep 300'],
      env,
    );
    expect(bg.code, bg.stderr).toBe(0);
    const id = bg.stdout.trim(); // the process id alone on stdout, for id=$(disco exec -b …)
    expect(id).toMatch(/^proc_[\w-]+$/);
    expect((await disco(['input', id, 'hello', 'there'], env)).code).toBe(0);
    expect((await disco(['input', id, '--eof'], env, 'from stdin\n')).stdout).toMatch(/closed its stdin/);
    let logs = '';
    for (let i = 0; i < 50 && !logs.includes('got:from stdin'); i++) {
      logs = (await disco(['logs', id], env)).stdout;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(logs).toBe('got:hello there\ngot:from stdin\n');
    expect((await disco(['ps', 'w'], env)).stdout).toContain(id);
    const killed = await disco(['kill', id, '--signal', 'SIGKILL'], env);
    expect(killed.code, killed.stderr).toBe(0);
    expect((await disco(['history', 'w', '--json'], env)).stdout).toMatch(/"status":\s*"killed"/);
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('runs git: status, commit, log, branch', async () => {
    expect((await disco(['exec', 'w', '--', 'git', 'init', '-q', '--initial-branch=main', 'repo'], env)).code).toBe(0);
    await disco(['files', 'write', 'w', 'repo/a.txt'], env, 'a\n');
    const status = await disco(['git', 'status', 'w', '-C', 'repo'], env);
    expect(status.stdout).toMatch(/on main[\s\S]*untracked\s+a\.txt/);
    const commit = await disco(['git', 'commit', 'w', '-C', 'repo', 'a.txt', '-m', 'first'], env);
    expect(commit.code, commit.stderr).toBe(0);
    expect(commit.stdout).toMatch(/committed [0-9a-f]{10} first/);
    expect((await disco(['git', 'log', 'w', '-C', 'repo'], env)).stdout).toMatch(/first$/m);
    expect((await disco(['git', 'branch', 'w', 'feature', '-C', 'repo', '--create'], env)).stdout).toMatch(
      /\* main[\s\S]*feature|feature[\s\S]*\* main/,
    );
    expect((await disco(['git', 'status', 'w', '-C', 'repo'], env)).stdout).toMatch(/clean/);
  });

  it('switches the network and pin, stops a container, and lists terminals', async () => {
    const set = await disco(['containers', 'set', 'w', '--network', 'off', '--pin'], env);
    expect(set.stdout).toMatch(/network\s+off/);
    expect(set.stdout).toMatch(/pinned\s+yes/);
    expect((await disco(['containers', 'set', 'w', '--network', 'maybe'], env)).code).toBe(1);
    expect((await disco(['containers', 'set', 'w', '--network', 'egress'], env)).stdout).toMatch(/network\s+egress/);
    const host = await disco(['containers', 'create', 'h', '--network', 'host'], env);
    expect(host.code).toBe(1);
    expect(host.stderr).toMatch(/DISCO_ALLOW_HOST_NETWORK/);
    expect((await disco(['containers', 'set', 'w', '--network', 'off'], env)).stdout).toMatch(/network\s+off/);
    expect((await disco(['containers', 'stop', 'w'], env)).stdout).toMatch(/stopped w/);
    expect((await disco(['terminals', 'ls'], env)).stdout).toMatch(/no terminals/);
  });

  it('reaches any op by name with `disco call`, and lists them with `disco ops`', async () => {
    const ops = await disco(['ops'], env);
    expect(ops.stdout).toMatch(/git_status\s+GET\s+\/api\/v1\/containers\/:container\/git\/status/);
    const got = await disco(['call', 'container_get', '{"id":"w"}'], env);
    expect(got.code, got.stderr).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({ name: 'w', network: 'off', pinned: true });
    const unknown = await disco(['call', 'no_such_op'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown operation/);
    const bad = await disco(['call', 'container_get', '{"id":'], env);
    expect(bad.stderr).toMatch(/input must be a JSON object/);
  });
});

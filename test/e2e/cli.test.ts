import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disco, type ServeProcess, spawnServe } from '../helpers/cli.js';
import { tempDir } from '../helpers/daemon.js';

let home: string;
let serve: ServeProcess;
let env: Record<string, string>;

beforeAll(async () => {
  home = await tempDir('disco-e2e-');
  serve = await spawnServe(home);
  env = { DISCO_URL: serve.url, DISCO_HOME: home };
});

afterAll(async () => {
  if (serve.child.exitCode === null) {
    await serve.stop();
  }
  await rm(home, { recursive: true, force: true });
});

describe('disco CLI against a real daemon', () => {
  it('writes a 0600 admin token on first start and prints it with `disco token`', async () => {
    const file = path.join(home, 'admin-token');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const r = await disco(['token'], env);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe((await readFile(file, 'utf8')).trim());
  });

  it('runs create → write → cat → exec → search → mv → rm end to end', async () => {
    const created = await disco(['containers', 'create', 'e2e', '--template', 'node', '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    const container = JSON.parse(created.stdout);
    expect(container).toMatchObject({ name: 'e2e', template: 'node', status: 'ready' });

    const ls = await disco(['containers', 'ls'], env);
    expect(ls.stdout).toMatch(/^ID\s+NAME\s+TEMPLATE/);
    expect(ls.stdout).toContain(container.id);

    const write = await disco(
      ['files', 'write', 'e2e', 'src/greet.js', '--json'],
      env,
      "export const greet = () => 'hi from disco';\n",
    );
    expect(write.code, write.stderr).toBe(0);
    expect(JSON.parse(write.stdout)).toMatchObject({ path: 'src/greet.js', created: true });

    const cat = await disco(['files', 'cat', 'e2e', 'src/greet.js'], env);
    expect(cat.stdout).toBe("export const greet = () => 'hi from disco';\n");

    const run = await disco(
      ['exec', 'e2e', '--', 'node', '-e', "import('./src/greet.js').then(m => console.log(m.greet()))"],
      env,
    );
    expect(run).toMatchObject({ code: 0, stdout: 'hi from disco\n' });

    const search = await disco(['files', 'search', 'e2e', 'HI FROM'], env);
    expect(search.code).toBe(0);
    expect(search.stdout).toContain("src/greet.js:1:29: export const greet = () => 'hi from disco';");

    const files = await disco(['files', 'ls', 'e2e', '-r'], env);
    expect(files.stdout).toContain('src/greet.js');
    expect(files.stdout).toContain('package.json');

    expect((await disco(['files', 'mv', 'e2e', 'src/greet.js', 'lib/greet.js'], env)).code).toBe(0);
    const rm1 = await disco(['files', 'rm', 'e2e', 'lib'], env);
    expect(rm1.code).toBe(1);
    expect(rm1.stderr).toMatch(/^disco: 'lib' is a directory; pass -r to delete it.*\[validation_failed\]\n$/);
    expect((await disco(['files', 'rm', 'e2e', 'lib', '-r'], env)).code).toBe(0);

    const del = await disco(['containers', 'rm', 'e2e'], env);
    expect(del.stdout).toContain(`deleted e2e (${container.id})`);
    await expect(stat(path.join(home, 'containers', container.id))).rejects.toThrow();
  });

  it('passes the command exit code, stdout and stderr through', async () => {
    await disco(['containers', 'create', 'codes'], env);
    const r = await disco(['exec', 'codes', '--', 'sh', '-c', 'echo out; echo err >&2; exit 7'], env);
    expect(r).toEqual({ code: 7, stdout: 'out\n', stderr: 'err\n' });
    const shell = await disco(['exec', 'codes', '--shell', '--', 'echo a | tr a b'], env);
    expect(shell.stdout).toBe('b\n');
    const timeout = await disco(['exec', 'codes', '--timeout', '200', '--', 'sleep', '10'], env);
    expect(timeout.code).toBe(124);
    const missing = await disco(['exec', 'codes', '--', 'no-such-binary-here'], env);
    expect(missing.code).toBe(127);
    const stdin = await disco(['exec', 'codes', '--stdin', '--', 'wc', '-c'], env, 'four');
    expect(stdin.stdout.trim()).toBe('4');
  });

  it('round-trips a binary file through write --from and cat', async () => {
    await disco(['containers', 'create', 'bin'], env);
    const local = path.join(home, 'local.bin');
    const bytes = Buffer.from([0, 255, 1, 254, 10, 13, 0]);
    await writeFile(local, bytes);
    expect((await disco(['files', 'write', 'bin', 'x.bin', '--from', local], env)).code).toBe(0);
    const json = JSON.parse((await disco(['files', 'cat', 'bin', 'x.bin', '--json'], env)).stdout);
    expect(json.encoding).toBe('base64');
    expect(Buffer.from(json.content, 'base64').equals(bytes)).toBe(true);
  });

  it('reports errors as one line with the code and a non-zero exit', async () => {
    const r = await disco(['files', 'cat', 'nope', 'x'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("disco: container 'nope' not found [not_found]\n");
    const escaped = await disco(['containers', 'create', 'esc'], env).then(() =>
      disco(['files', 'cat', 'esc', '../../admin-token'], env),
    );
    expect(escaped.stderr).toMatch(/^disco: .* \[path_outside_workspace\]\n$/);
    expect(escaped.stdout).toBe('');
  });

  it('says how to start a daemon when none answers', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as net.AddressInfo;
        srv.close(() => resolve(port));
      });
    });
    const r = await disco(['containers', 'ls'], { DISCO_URL: `http://127.0.0.1:${port}`, DISCO_HOME: home });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('start one with `disco serve`');
  });

  it('refuses a bad setting with a one-line message naming it', async () => {
    const r = await disco(['serve'], { DISCO_HOME: home, DISCO_PORT: 'eighty' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^disco: DISCO_PORT: .*\n$/);
  });

  it('shuts down cleanly on SIGTERM', async () => {
    const other = await spawnServe(await tempDir('disco-e2e-stop-'));
    other.child.kill('SIGTERM');
    const code = await new Promise((r) => other.child.once('exit', r));
    expect(code).toBe(0);
    expect(other.logs()).toContain('"msg":"stopped"');
  });

  it('starts a background command, follows its logs, lists, kills and shows history', async () => {
    await disco(['containers', 'create', 'bg'], env);
    const started = await disco(
      ['exec', 'bg', '--background', '--json', '--', 'sh', '-c', 'echo hi; sleep 0.3; echo bye >&2; exit 4'],
      env,
    );
    const { processId, running } = JSON.parse(started.stdout);
    expect(running).toBe(true);
    const logs = await disco(['logs', processId, '-f'], env);
    expect(logs).toEqual({ code: 4, stdout: 'hi\n', stderr: 'bye\n' });

    // Without --json, stdout carries the process id alone, so `id=$(disco exec -b …)` works.
    const plain = await disco(['exec', 'bg', '-b', '--', 'sh', '-c', 'echo early; sleep 30'], env);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/^proc_\S+\n$/);
    const plainId = plain.stdout.trim();
    expect(plain.stderr).toContain(`disco logs ${plainId} -f`);
    expect((await disco(['kill', plainId], env)).code).toBe(0);

    const sleeper = await disco(['exec', 'bg', '--wait', '100', '--', 'sleep', '30'], env);
    expect(sleeper.code).toBe(0);
    const id = /still running as (proc_\S+);/.exec(sleeper.stderr)?.[1] as string;
    expect(id).toBeTruthy();
    expect((await disco(['ps', 'bg'], env)).stdout).toContain(id);
    expect((await disco(['kill', id], env)).stdout).toBe(`sent SIGTERM to ${id}\n`);
    expect((await disco(['ps', 'bg'], env)).stdout).toBe('no running processes (finished ones: disco history bg)\n');
    const history = await disco(['history', 'bg'], env);
    expect(history.stdout).toMatch(/^ID\s+STATUS\s+EXIT\s+STARTED\s+COMMAND/);
    expect(history.stdout).toContain('sleep 30');
    expect(history.stdout).toMatch(/exited\s+4\s/);
  });
});

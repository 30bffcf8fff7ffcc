import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISCO_BIN, disco, type ServeProcess, spawnServe } from '../helpers/cli.js';
import { tempDir } from '../helpers/daemon.js';
import { childEnv } from '../helpers/env.js';

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
  await serve.stop();
  await rm(home, { recursive: true, force: true });
});

describe('exec: the bytes and the environment a command gets', () => {
  it('gives a command a clean system PATH, never the daemon’s own', async () => {
    const r = await disco(['exec', 'b', '--shell', '--', 'echo $PATH'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    expect(r.stdout).not.toMatch(/node_modules|\.cargo|pyenv/);
  });

  it('passes stdin as bytes, unchanged and streamed past the old 10 MiB limit', async () => {
    const bytes = randomBytes(12 * 1024 * 1024 + 7);
    // Invalid UTF-8 on purpose: a decoder would replace these with U+FFFD.
    bytes.set([0xff, 0xfe, 0xc3, 0x28, 0x00, 0x80], 0);
    const r = await disco(['exec', 'b', '--stdin', '--', 'sha256sum'], env, bytes);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split(' ')[0]).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('keeps the command’s exit code and output with --stdin, and in --json', async () => {
    const r = await disco(['exec', 'b', '--stdin', '--shell', '--', 'wc -c; echo oops >&2; exit 3'], env, 'abc');
    expect(r.code).toBe(3);
    expect(r.stdout.trim()).toBe('3');
    expect(r.stderr).toContain('oops');
    const j = await disco(['exec', 'b', '--stdin', '--json', '--', 'cat'], env, 'héllo\n');
    expect(JSON.parse(j.stdout)).toMatchObject({ exitCode: 0, stdout: 'héllo\n', running: false });
    // A command that stops reading early still reports what it printed.
    const head = await disco(['exec', 'b', '--stdin', '--', 'head', '-c', '4'], env, randomBytes(3 * 1024 * 1024));
    expect(head.code, head.stderr).toBe(0);
  });

  it('streams stdin to a background command too, and closes it at the end', async () => {
    const bytes = randomBytes(2 * 1024 * 1024);
    bytes.set([0xff, 0xfe, 0x80], 0);
    const bg = await disco(['exec', 'b', '-b', '--stdin', '--', 'sha256sum'], env, bytes);
    expect(bg.code, bg.stderr).toBe(0);
    const out = await disco(['logs', bg.stdout.trim(), '-f'], env);
    expect(out.code).toBe(0);
    expect(out.stdout.split(' ')[0]).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('feeds a background process bytes from stdin with `disco input`', async () => {
    const bg = await disco(['exec', 'b', '-b', '--', 'sha256sum'], env);
    const id = bg.stdout.trim();
    const bytes = randomBytes(64 * 1024);
    bytes.set([0xff, 0xfe, 0x80], 0);
    expect((await disco(['input', id, '--eof'], env, bytes)).code).toBe(0);
    const out = await disco(['logs', id, '-f'], env);
    expect(out.stdout.split(' ')[0]).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('Ctrl-C during exec --stdin stops the command too, and exits 130 like a signalled command', async () => {
    // stdin stays open: the CLI is still streaming it when the user presses Ctrl-C.
    const child = spawn(process.execPath, [DISCO_BIN, 'exec', 'b', '--stdin', '--', 'sleep', '300'], {
      env: childEnv(env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let running = '';
    for (let i = 0; i < 200 && !running.includes('sleep'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      running = (await disco(['ps', 'b'], env)).stdout;
    }
    expect(running).toContain('sleep');
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    let after = running;
    for (let i = 0; i < 100 && after.includes('sleep'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = (await disco(['ps', 'b'], env)).stdout;
    }
    expect(after).toBe('no running processes (finished ones: disco history b)\n');
  });

  it('prints a long foreground command’s output as it comes, and Ctrl-C reaches it as SIGINT', async () => {
    // It printed nothing until the command ended, and Ctrl-C killed it without its INT trap running.
    const script = 'trap "echo trapped > got-int; exit 7" INT; echo ready; while :; do sleep 0.1; done';
    const child = spawn(process.execPath, [DISCO_BIN, 'exec', 'b', '--', 'sh', '-c', script], {
      env: childEnv(env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let stdout = '';
    const ready = new Promise<void>((resolve) =>
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        if (stdout.includes('ready')) resolve();
      }),
    );
    await ready;
    expect(child.exitCode).toBe(null);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    let trapped = await disco(['files', 'cat', 'b', 'got-int'], env);
    for (let i = 0; i < 50 && trapped.code !== 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      trapped = await disco(['files', 'cat', 'b', 'got-int'], env);
    }
    expect(trapped.stdout).toBe('trapped\n');
  });

  it('keeps a long foreground command’s exit code, both streams and --json', async () => {
    const r = await disco(['exec', 'b', '--', 'sh', '-c', 'echo a; sleep 1.5; echo b >&2; exit 4'], env);
    expect(r).toEqual({ code: 4, stdout: 'a\n', stderr: 'b\n' });
    const j = await disco(['exec', 'b', '--json', '--', 'sh', '-c', 'echo a; sleep 1.5; echo b'], env);
    expect(JSON.parse(j.stdout)).toMatchObject({ exitCode: 0, stdout: 'a\nb\n', running: false });
    const waited = await disco(['exec', 'b', '--wait', '300', '--', 'sleep', '5'], env);
    expect(waited.code).toBe(0);
    expect(waited.stderr).toMatch(/^disco: still running as proc_/);
  });

  it('exits 126 for a program that may not run, as a shell does, and 2 when there is nothing to run', async () => {
    expect((await disco(['files', 'write', 'b', 'noexec.sh'], env, '#!/bin/sh\necho ran\n')).code).toBe(0);
    // It exited 1, as for any other error.
    const r = await disco(['exec', 'b', '--', './noexec.sh'], env);
    expect(r).toEqual({
      code: 126,
      stdout: '',
      stderr: 'disco: permission denied: ./noexec.sh is not executable [not_executable]\n',
    });
    const none = await disco(['exec', 'b'], env);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe('disco: nothing to run: disco exec <container> -- <command> [args…]\n');
  });
});

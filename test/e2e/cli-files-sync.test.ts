import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISCO_BIN, disco, type ServeProcess, spawnServe } from '../helpers/cli.js';
import { tempDir } from '../helpers/daemon.js';
import { childEnv } from '../helpers/env.js';

let home: string;
let local: string;
let serve: ServeProcess;
let env: Record<string, string>;

beforeAll(async () => {
  home = await tempDir('disco-e2e-sync-');
  local = await tempDir('disco-e2e-local-');
  serve = await spawnServe(home);
  env = { DISCO_URL: serve.url, DISCO_HOME: home };
  expect((await disco(['containers', 'create', 's'], env)).code).toBe(0);
});
afterAll(async () => {
  await serve.stop();
  await rm(home, { recursive: true, force: true });
  await rm(local, { recursive: true, force: true });
});

describe('disco files push / pull', () => {
  const blob = randomBytes(300 * 1024);

  it('pushes a directory into ./<name>: files, binary content, modes, nested dirs, links', async () => {
    const src = path.join(local, 'proj');
    await mkdir(path.join(src, 'src/deep'), { recursive: true });
    await writeFile(path.join(src, 'run.sh'), '#!/bin/sh\necho "ran from $(basename "$PWD")"\n', { mode: 0o755 });
    await writeFile(path.join(src, 'src/deep/blob.bin'), blob);
    await writeFile(path.join(src, 'src/a.txt'), 'a\n');
    await symlink('src/a.txt', path.join(src, 'latest'));
    const r = await disco(['files', 'push', 's', src], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/pushed .* to proj: 3 files, 2 directories/);
    const run = await disco(['exec', 's', '--cwd', 'proj', '--', './run.sh'], env);
    expect(run.stdout, run.stderr).toBe('ran from proj\n');
    const sum = await disco(['exec', 's', '--shell', '--', 'cat proj/latest; sha256sum < proj/src/deep/blob.bin'], env);
    expect(sum.stdout).toMatch(/^a\n[0-9a-f]{64}/);
    // Into a directory given by name, and again over it (files are replaced).
    expect((await disco(['files', 'push', 's', src, 'copies/p2'], env)).code).toBe(0);
    await writeFile(path.join(src, 'src/a.txt'), 'changed\n');
    expect((await disco(['files', 'push', 's', src, 'copies/p2'], env)).code).toBe(0);
    expect((await disco(['files', 'cat', 's', 'copies/p2/src/a.txt'], env)).stdout).toBe('changed\n');
  });

  it('pulls a directory back byte for byte, links as links', async () => {
    const dest = path.join(local, 'back');
    const r = await disco(['files', 'pull', 's', 'proj', dest, '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ path: 'proj', files: 3, symlinks: 1, local: dest });
    expect((await readFile(path.join(dest, 'src/deep/blob.bin'))).equals(blob)).toBe(true);
    expect((await stat(path.join(dest, 'run.sh'))).mode & 0o111).not.toBe(0);
    expect(await readlink(path.join(dest, 'latest'))).toBe('src/a.txt');
  });

  it('pulls into ./<name> by default, and skips links that lead outside', async () => {
    await disco(['exec', 's', '--', 'ln', '-s', '/etc/passwd', 'proj/passwd'], env);
    const r = await disco(['files', 'pull', 's', 'proj'], { ...env }, undefined, {
      command: 'sh',
      args: ['-c', `cd "${local}" && "${process.execPath}" "${path.resolve('bin/disco.js')}" files pull s proj`],
      env,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/skipped symlink passwd -> \/etc\/passwd/);
    expect(await readFile(path.join(local, 'proj/src/deep/blob.bin'))).toEqual(blob);
    await expect(lstat(path.join(local, 'proj/passwd'))).rejects.toThrow();
  });

  it('pulls a single file as itself (as docker cp does), into a directory or to a name', async () => {
    // It answered "'proj/src/deep/blob.bin' is not a directory (read a file with file_read)".
    const into = path.join(local, 'into');
    await mkdir(into);
    const r = await disco(['files', 'pull', 's', 'proj/src/deep/blob.bin', into], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`pulled proj/src/deep/blob.bin to ${path.join(into, 'blob.bin')} (${blob.length} bytes)\n`);
    expect((await readFile(path.join(into, 'blob.bin'))).equals(blob)).toBe(true);
    const named = path.join(local, 'named.txt');
    const json = await disco(['files', 'pull', 's', 'copies/p2/src/a.txt', named, '--json'], env);
    expect(JSON.parse(json.stdout)).toEqual({ path: 'copies/p2/src/a.txt', local: named, size: 8 });
    expect(await readFile(named, 'utf8')).toBe('changed\n');
  });

  it('moves into an existing directory, as mv does, and -f never replaces that directory', async () => {
    for (const f of ['mvdir/keep.txt', 'one.txt', 'two.txt']) {
      expect((await disco(['files', 'write', 's', f], env, `${f}\n`)).code).toBe(0);
    }
    // It answered "'mvdir' already exists; pass -f to replace it", and -f then replaced a directory moved onto it.
    const r = await disco(['files', 'mv', 's', 'one.txt', 'mvdir'], env);
    expect(r).toEqual({ code: 0, stdout: 'moved one.txt -> mvdir/one.txt\n', stderr: '' });
    expect((await disco(['files', 'mv', 's', 'two.txt', 'mvdir/'], env)).stdout).toBe(
      'moved two.txt -> mvdir/two.txt\n',
    );
    expect((await disco(['files', 'mv', 's', 'proj', 'mvdir', '-f'], env)).stdout).toBe('moved proj -> mvdir/proj\n');
    const ls = await disco(['files', 'ls', 's', 'mvdir', '--json'], env);
    expect(JSON.parse(ls.stdout).entries.map((e: { path: string }) => e.path)).toEqual([
      'mvdir/keep.txt',
      'mvdir/one.txt',
      'mvdir/proj',
      'mvdir/two.txt',
    ]);
    // A plain rename is still one.
    expect((await disco(['files', 'mv', 's', 'mvdir/one.txt', 'mvdir/uno.txt'], env)).stdout).toBe(
      'moved mvdir/one.txt -> mvdir/uno.txt\n',
    );
  });

  it('cats a file over the read limit whole, page by page, byte for byte', async () => {
    // It answered "'big.bin' is 6 MiB, over the 5.0 MiB read limit; read a line range (--start/--end) instead".
    const big = Buffer.concat([randomBytes(3 * 1024 * 1024), Buffer.alloc(3 * 1024 * 1024, 0xff)]);
    await writeFile(path.join(local, 'big.bin'), big);
    expect((await disco(['files', 'push', 's', path.join(local, 'big.bin')], env)).code).toBe(0);
    const child = spawn(process.execPath, [DISCO_BIN, 'files', 'cat', 's', 'big.bin'], { env: childEnv(env) });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code).toBe(0);
    expect(Buffer.concat(chunks).equals(big)).toBe(true);
    // A line range and --json keep the limit's answer.
    const json = await disco(['files', 'cat', 's', 'big.bin', '--json'], env);
    expect(JSON.parse(json.stderr).error.code).toBe('too_large');
  });

  it('says which side is missing: an unknown remote path, an unknown local one', async () => {
    const remote = await disco(['files', 'pull', 's', 'nope', path.join(local, 'y')], env);
    expect(remote.code).toBe(1);
    expect(remote.stderr).toBe("disco: 'nope' not found [not_found]\n");
    const missing = path.join(local, 'missing');
    const push = await disco(['files', 'push', 's', missing], env);
    expect(push.code).toBe(1);
    // It printed Node's "ENOENT: no such file or directory, lstat '…'".
    expect(push.stderr).toBe(`disco: ${missing}: no such file or directory (on this machine)\n`);
  });
});

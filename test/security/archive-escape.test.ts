import { execFileSync } from 'node:child_process';
import { link, lstat, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TarInput, writeTar } from '../../src/shared/tar.js';
import { startTestDaemon, type TestDaemon, tempDir } from '../helpers/daemon.js';

const file = (name: string, text = 'pwned\n'): TarInput => ({
  name,
  type: 'file',
  linkname: '',
  data: Buffer.from(text),
});
const sym = (name: string, target: string): TarInput => ({
  name,
  type: 'symlink',
  linkname: target,
  data: Buffer.alloc(0),
});

/** Everything under a directory (relative paths), to show that nothing changed. */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      out.push(r);
      if (e.isDirectory()) await walk(r);
    }
  };
  await walk('');
  return out.sort();
}

/**
 * `disco files push` unpacks a tar in the workspace. A malicious archive (or a container that planted
 * links where it lands) must change nothing outside the workspace, and a refused archive nothing at all.
 */
describe('file_unpack: hostile archives', () => {
  let t: TestDaemon;
  let root: string;
  let hostDir: string;
  const unpack = async (entries: TarInput[] | Buffer, dest = '.') =>
    t.json('POST', '/api/v1/containers/arc/files/unpack', {
      path: dest,
      archive: (Buffer.isBuffer(entries) ? entries : writeTar(entries)).toString('base64'),
    });

  beforeAll(async () => {
    hostDir = await tempDir('disco-host-');
    await writeFile(path.join(hostDir, 'victim.txt'), 'host\n');
    t = await startTestDaemon({ DISCO_POOL_SIZE: '0' });
    const c = (await t.json('POST', '/api/v1/containers', { name: 'arc' })).body;
    root = path.join(t.home, 'containers', c.id);
    // What a container can plant: a link to the host, and one to the containers directory.
    await symlink(hostDir, path.join(root, 'planted'));
    await symlink('..', path.join(root, 'up'));
  });
  afterAll(() => t.stop());

  it('refuses escaping members and changes nothing, inside the workspace or out', async () => {
    const before = { home: await tree(t.home), host: await tree(hostDir) };
    const cases: [string, TarInput[]][] = [
      ['dot-dot', [file('ok-1.txt'), file('../escape.txt')]],
      ['deep dot-dot', [file('ok-2.txt'), file('a/../../escape.txt')]],
      ['absolute', [file('ok-3.txt'), file(`${hostDir}/victim.txt`)]],
      ['symlink out, then write through it', [sym('ln', '../..'), file('ln/escape.txt')]],
      ['absolute symlink, then write through it', [sym('abs', hostDir), file('abs/victim.txt')]],
      ['inside symlink, then write through it', [file('sub/x'), sym('ln2', 'sub'), file('ln2/y')]],
      ['escaping symlink alone', [sym('host', hostDir)]],
    ];
    for (const [what, entries] of cases) {
      const r = await unpack(entries);
      expect(r.status, what).toBe(400);
      expect(r.body.error.code, what).toBe('validation_failed');
    }
    expect(await tree(t.home)).toEqual(before.home);
    expect(await tree(hostDir)).toEqual(before.host);
    expect(await readFile(path.join(hostDir, 'victim.txt'), 'utf8')).toBe('host\n');
  });

  it('refuses hard links, FIFOs and devices (archives from GNU tar)', async () => {
    const src = await tempDir('disco-tar-src-');
    await writeFile(path.join(src, 'a'), 'a\n');
    await link(path.join(src, 'a'), path.join(src, 'hard'));
    const hard = execFileSync('tar', ['-cf', '-', '-C', src, 'a', 'hard']);
    expect((await unpack(hard)).status).toBe(400);
    const fifoDir = await tempDir('disco-tar-fifo-');
    execFileSync('mkfifo', [path.join(fifoDir, 'fifo')]);
    const fifo = execFileSync('tar', ['-cf', '-', '-C', fifoDir, 'fifo']);
    expect((await unpack(fifo)).status).toBe(400);
    await expect(lstat(path.join(root, 'fifo'))).rejects.toThrow();
    await expect(lstat(path.join(root, 'a'))).rejects.toThrow();
  });

  it('never writes through links the container planted', async () => {
    const before = await tree(hostDir);
    const viaHost = await unpack([file('victim.txt', 'overwritten\n')], 'planted');
    expect(viaHost.status).toBe(400);
    expect(viaHost.body.error.code).toBe('path_outside_workspace');
    const viaMember = await unpack([file('planted/new.txt')]);
    expect(viaMember.status).toBe(400);
    const viaUp = await unpack([file('up/escape.txt')]);
    expect(viaUp.status).toBe(400);
    expect(await tree(hostDir)).toEqual(before);
    expect(await readFile(path.join(hostDir, 'victim.txt'), 'utf8')).toBe('host\n');
    await expect(lstat(path.join(root, '..', 'escape.txt'))).rejects.toThrow();
  });

  it('unpacks a good archive: files, directories, modes and links that stay inside', async () => {
    await mkdir(path.join(root, 'keep'));
    const r = await unpack(
      [
        { name: 'proj/', type: 'directory', linkname: '', data: Buffer.alloc(0) },
        { ...file('proj/run.sh', '#!/bin/sh\necho hi\n'), mode: 0o755 },
        file('proj/src/a.txt', 'a\n'),
        sym('proj/latest', 'src/a.txt'),
      ],
      'dest',
    );
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ path: 'dest', files: 2, symlinks: 1 });
    expect(await readFile(path.join(root, 'dest/proj/src/a.txt'), 'utf8')).toBe('a\n');
    expect((await lstat(path.join(root, 'dest/proj/run.sh'))).mode & 0o111).not.toBe(0);
    expect(await readFile(path.join(root, 'dest/proj/latest'), 'utf8')).toBe('a\n');
  });
});

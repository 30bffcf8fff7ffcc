import { chmod, mkdir, readdir, readFile, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/daemon/workspace/content.js';
import { WorkspaceFiles } from '../../src/daemon/workspace/files.js';
import { searchWorkspace } from '../../src/daemon/workspace/search.js';
import { tempDir } from '../helpers/daemon.js';

const files = new WorkspaceFiles({ readMaxBytes: 64 * 1024, writeMaxBytes: 256 * 1024 });
let root: string;

beforeEach(async () => {
  root = await realpath(await tempDir('disco-files-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

const write = (p: string, content: string, extra: { ifMatch?: string } = {}) =>
  files.write(root, { path: p, content, encoding: 'utf8', createParents: true, ...extra });

describe('WorkspaceFiles.write', () => {
  it('creates parents and leaves no temp file behind', async () => {
    const r = await write('a/b/c.txt', 'hello');
    expect(r).toMatchObject({ path: 'a/b/c.txt', size: 5, created: true, hash: sha256('hello') });
    expect(await readdir(path.join(root, 'a/b'))).toEqual(['c.txt']);
  });

  it('keeps the mode of the file it replaces', async () => {
    await write('run.sh', '#!/bin/sh\n');
    await chmod(path.join(root, 'run.sh'), 0o755);
    await write('run.sh', '#!/bin/sh\necho hi\n');
    expect((await stat(path.join(root, 'run.sh'))).mode & 0o777).toBe(0o755);
  });

  it('serialises conditional writes so exactly one of two racing writers wins', async () => {
    const first = await write('f.txt', 'v1');
    const results = await Promise.allSettled([
      write('f.txt', 'from A', { ifMatch: first.hash }),
      write('f.txt', 'from B', { ifMatch: first.hash }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason.code).toBe('conflict');
    expect(['from A', 'from B']).toContain(await readFile(path.join(root, 'f.txt'), 'utf8'));
  });

  it('writes through an inner symlink to its target instead of replacing the link', async () => {
    await write('real.txt', 'old');
    await symlink('real.txt', path.join(root, 'alias.txt'));
    await write('alias.txt', 'new');
    expect(await readFile(path.join(root, 'real.txt'), 'utf8')).toBe('new');
  });

  it('refuses content over the write limit and writes nothing', async () => {
    await expect(write('big.txt', 'x'.repeat(300 * 1024))).rejects.toMatchObject({ code: 'too_large' });
    expect(await readdir(root)).toEqual([]);
  });

  it('refuses to create parents when told not to', async () => {
    await expect(
      files.write(root, { path: 'missing/x.txt', content: 'x', encoding: 'utf8', createParents: false }),
    ).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('WorkspaceFiles.read', () => {
  it('returns totalLines and a hash for text', async () => {
    await write('t.txt', 'a\nb\nc\n');
    expect(await files.read(root, { path: 't.txt', encoding: 'auto' })).toMatchObject({
      encoding: 'utf8',
      content: 'a\nb\nc\n',
      totalLines: 3,
      hash: sha256('a\nb\nc\n'),
    });
  });

  it('detects binary and answers base64', async () => {
    const bytes = Buffer.from([0, 1, 2, 255, 254]);
    await writeFile(path.join(root, 'b.bin'), bytes);
    const r = await files.read(root, { path: 'b.bin', encoding: 'auto' });
    expect(r.encoding).toBe('base64');
    expect(Buffer.from(r.content, 'base64').equals(bytes)).toBe(true);
  });

  it('reads a line range of a file larger than the read cap', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i + 1}`);
    await writeFile(path.join(root, 'big.log'), `${lines.join('\n')}\n`);
    await expect(files.read(root, { path: 'big.log', encoding: 'auto' })).rejects.toMatchObject({ code: 'too_large' });
    const r = await files.read(root, { path: 'big.log', encoding: 'auto', startLine: 19_999, endLine: 30_000 });
    expect(r).toMatchObject({ content: 'line 19999\nline 20000\n', startLine: 19_999, endLine: 20_000 });
  });
});

describe('WorkspaceFiles.list', () => {
  it('honours nested .gitignore files and never descends into .git', async () => {
    await write('.gitignore', 'dist/\n*.log\n');
    await write('pkg/.gitignore', 'generated.ts\n');
    await write('pkg/generated.ts', 'x');
    await write('pkg/keep.ts', 'x');
    await write('dist/out.js', 'x');
    await write('debug.log', 'x');
    await write('.git/HEAD', 'ref');
    const r = await files.list(root, { path: '.', recursive: true, limit: 100, all: false });
    expect(r.entries.map((e) => e.path).sort()).toEqual(['.git', '.gitignore', 'pkg', 'pkg/.gitignore', 'pkg/keep.ts']);
    const all = await files.list(root, { path: '.', recursive: true, limit: 100, all: true });
    expect(all.entries.map((e) => e.path)).toContain('pkg/generated.ts');
  });

  it('applies ignore rules from above when listing a subdirectory', async () => {
    await write('.gitignore', '*.tmp\n');
    await write('sub/a.tmp', 'x');
    await write('sub/b.ts', 'x');
    const r = await files.list(root, { path: 'sub', recursive: false, limit: 100, all: false });
    expect(r.entries.map((e) => e.path)).toEqual(['sub/b.ts']);
  });

  it('reports symlinks as symlinks without following them', async () => {
    await mkdir(path.join(root, 'd'));
    await symlink('/etc', path.join(root, 'd', 'etc-link'));
    const r = await files.list(root, { path: '.', recursive: true, limit: 100, all: true });
    expect(r.entries.find((e) => e.path === 'd/etc-link')?.type).toBe('symlink');
    expect(r.entries.some((e) => e.path.startsWith('d/etc-link/'))).toBe(false);
  });
});

describe('WorkspaceFiles.move and remove', () => {
  it('refuses to move a directory into itself', async () => {
    await write('d/x.txt', 'x');
    await expect(
      files.move(root, { from: 'd', to: 'd/inner', overwrite: false, createParents: true }),
    ).rejects.toMatchObject({
      code: 'invalid_path',
    });
  });

  it('deletes a symlink, not its target', async () => {
    await write('target.txt', 'keep');
    await symlink('target.txt', path.join(root, 'link'));
    await files.remove(root, { path: 'link', recursive: false });
    expect(await readFile(path.join(root, 'target.txt'), 'utf8')).toBe('keep');
  });

  it('refuses to delete the workspace root', async () => {
    await expect(files.remove(root, { path: '.', recursive: true })).rejects.toMatchObject({ code: 'invalid_path' });
  });
});

describe('searchWorkspace', () => {
  const base = { path: '.', regex: false, caseSensitive: false, maxResults: 100, includeIgnored: false };

  it('skips node_modules and binaries, and reports 1-based line and column', async () => {
    await write('src/a.ts', 'const x = 1;\nexport function findMe() {}\n');
    await write('node_modules/dep/index.js', 'findMe');
    await writeFile(path.join(root, 'blob.bin'), Buffer.from([0, 102, 105, 110, 100, 77, 101]));
    const r = await searchWorkspace(root, { ...base, query: 'findme' });
    expect(r.matches).toEqual([{ path: 'src/a.ts', line: 2, column: 17, text: 'export function findMe() {}' }]);
  });

  it('stops at the deadline and says why', async () => {
    for (let i = 0; i < 30; i++) await write(`f${i}.txt`, 'x');
    const r = await searchWorkspace(
      root,
      { ...base, query: 'x' },
      { maxFileBytes: 1e6, maxFilesScanned: 10, deadlineMs: 10_000 },
    );
    expect(r).toMatchObject({ truncated: true, reason: 'file scan limit reached' });
  });

  it('matches globs against names anywhere or against full paths', async () => {
    await write('a/b/c.md', 'x');
    await write('a/d.ts', 'x');
    expect((await searchWorkspace(root, { ...base, glob: '*.md' })).matches).toEqual([{ path: 'a/b/c.md' }]);
    expect((await searchWorkspace(root, { ...base, glob: 'a/*.ts' })).matches).toEqual([{ path: 'a/d.ts' }]);
  });
});

describe.runIf(process.getuid?.() === 0)('WorkspaceFiles with an owner (daemon running as root)', () => {
  const owned = new WorkspaceFiles({ readMaxBytes: 1024, writeMaxBytes: 1024, owner: { uid: 65534, gid: 65534 } });

  it('hands every file and directory it creates to the owner', async () => {
    await owned.write(root, { path: 'a/b/c.txt', content: 'x', encoding: 'utf8', createParents: true });
    await owned.write(root, { path: 'a/b/c.txt', content: 'y', encoding: 'utf8', createParents: true });
    await owned.write(root, { path: 'd.txt', content: 'z', encoding: 'utf8', createParents: true });
    await owned.move(root, { from: 'd.txt', to: 'm/n/d.txt', overwrite: false, createParents: true });
    for (const p of ['a', 'a/b', 'a/b/c.txt', 'm', 'm/n', 'm/n/d.txt']) {
      expect({ p, uid: (await stat(path.join(root, p))).uid }).toEqual({ p, uid: 65534 });
    }
  });
});

import { mkdir, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscoError } from '../../src/daemon/errors.js';
import { normalizeRelative, resolveInWorkspace } from '../../src/daemon/workspace/paths.js';
import { tempDir } from '../helpers/daemon.js';

const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return err instanceof DiscoError ? err.code : String(err);
  }
};

describe('normalizeRelative', () => {
  it('normalises dots, duplicate and trailing slashes', () => {
    expect(normalizeRelative('a/./b//c/')).toBe('a/b/c');
    expect(normalizeRelative('')).toBe('.');
    expect(normalizeRelative('.')).toBe('.');
    expect(normalizeRelative('a/../b')).toBe('b');
  });

  it('refuses traversal above the root', () => {
    for (const p of ['..', '../x', 'a/../../x', './..']) {
      expect(() => normalizeRelative(p), p).toThrowError(expect.objectContaining({ code: 'path_outside_workspace' }));
    }
  });

  it('refuses absolute paths, POSIX and Windows style', () => {
    for (const p of ['/etc/passwd', '/', 'C:\\Windows', '\\\\server\\share']) {
      expect(() => normalizeRelative(p), p).toThrowError(expect.objectContaining({ code: 'path_outside_workspace' }));
    }
  });

  it('refuses NUL bytes and over-long paths', () => {
    expect(() => normalizeRelative('a\0b')).toThrowError(expect.objectContaining({ code: 'invalid_path' }));
    expect(() => normalizeRelative('a'.repeat(5000))).toThrowError(expect.objectContaining({ code: 'invalid_path' }));
  });

  it('treats backslashes as separators so they cannot smuggle a traversal', () => {
    expect(() => normalizeRelative('a\\..\\..\\x')).toThrowError(
      expect.objectContaining({ code: 'path_outside_workspace' }),
    );
  });
});

describe('resolveInWorkspace', () => {
  let base: string;
  let root: string;
  let outside: string;

  beforeAll(async () => {
    base = await realpath(await tempDir());
    root = path.join(base, 'ws');
    outside = path.join(base, 'outside');
    await mkdir(path.join(root, 'src'), { recursive: true });
    await mkdir(outside);
    await writeFile(path.join(outside, 'secret.txt'), 'secret');
    await writeFile(path.join(root, 'src', 'a.ts'), 'x');
    await symlink(path.join(outside, 'secret.txt'), path.join(root, 'leak.txt'));
    await symlink(outside, path.join(root, 'outdir'));
    await symlink(path.join(outside, 'nope.txt'), path.join(root, 'dangling-out'));
    await symlink('src/a.ts', path.join(root, 'inner-link'));
    await symlink('loop-b', path.join(root, 'loop-a'));
    await symlink('loop-a', path.join(root, 'loop-b'));
  });

  afterAll(() => rm(base, { recursive: true, force: true }));

  it('resolves an existing file inside the root', async () => {
    const r = await resolveInWorkspace(root, 'src/a.ts');
    expect(r).toEqual({ abs: path.join(root, 'src', 'a.ts'), rel: 'src/a.ts' });
  });

  it('resolves a file that does not exist yet, under missing directories', async () => {
    const r = await resolveInWorkspace(root, 'new/deep/file.txt');
    expect(r.rel).toBe('new/deep/file.txt');
  });

  it('follows a symlink that stays inside', async () => {
    expect((await resolveInWorkspace(root, 'inner-link')).rel).toBe('src/a.ts');
  });

  it('refuses a symlink that escapes the workspace', async () => {
    expect(await codeOf(resolveInWorkspace(root, 'leak.txt'))).toBe('path_outside_workspace');
  });

  it('refuses a new file under a symlinked parent that points outside', async () => {
    expect(await codeOf(resolveInWorkspace(root, 'outdir/new.txt'))).toBe('path_outside_workspace');
    expect(await codeOf(resolveInWorkspace(root, 'outdir/x/y/new.txt'))).toBe('path_outside_workspace');
  });

  it('refuses a dangling symlink whose target is outside', async () => {
    expect(await codeOf(resolveInWorkspace(root, 'dangling-out'))).toBe('path_outside_workspace');
  });

  it('lets the link itself be addressed without following it', async () => {
    const r = await resolveInWorkspace(root, 'leak.txt', { followFinal: false });
    expect(r.abs).toBe(path.join(root, 'leak.txt'));
  });

  it('still refuses an escaping parent when the final component is not followed', async () => {
    expect(await codeOf(resolveInWorkspace(root, 'outdir/secret.txt', { followFinal: false }))).toBe(
      'path_outside_workspace',
    );
  });

  it('reports a symlink loop as an invalid path', async () => {
    expect(await codeOf(resolveInWorkspace(root, 'loop-a'))).toBe('invalid_path');
  });

  it('accepts unicode names, composed and decomposed', async () => {
    await writeFile(path.join(root, 'café.txt'), 'x');
    expect((await resolveInWorkspace(root, 'café.txt')).rel).toBe('café.txt');
    expect((await resolveInWorkspace(root, 'ñandú/日本語.md')).rel).toBe('ñandú/日本語.md');
    expect((await resolveInWorkspace(root, 'cafe\u0301.txt')).rel).toBe('cafe\u0301.txt');
  });

  it('does not confuse a sibling directory sharing the root as a prefix', async () => {
    await mkdir(`${root}-evil`, { recursive: true });
    expect(await codeOf(resolveInWorkspace(root, '../ws-evil/x'))).toBe('path_outside_workspace');
  });
});

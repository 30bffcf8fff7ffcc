import { execFileSync } from 'node:child_process';
import { closeSync, fstatSync, readFileSync, renameSync } from 'node:fs';
import { mkdir, readdir, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiscoError } from '../../src/daemon/errors.js';
import { removeTree, removeTreeAt } from '../../src/daemon/workspace/remove-tree.js';
import {
  at,
  MAX_SYMLINK_HOPS,
  openRegularAt,
  readCapped,
  readSmallAt,
  WorkspaceDir,
} from '../../src/daemon/workspace/workspace-dir.js';
import { tempDir } from '../helpers/daemon.js';

let base: string;
let root: string;
let outside: string;
let ws: WorkspaceDir;

beforeEach(async () => {
  base = await realpath(await tempDir('disco-wsdir-'));
  root = path.join(base, 'root');
  outside = path.join(base, 'outside');
  await mkdir(path.join(root, 'dir/sub'), { recursive: true });
  await mkdir(outside);
  await writeFile(path.join(root, 'dir/sub/file.txt'), 'inside\n');
  await writeFile(path.join(outside, 'secret.txt'), 'outside\n');
  ws = WorkspaceDir.open(root);
});
afterEach(async () => {
  ws.close();
  await rm(base, { recursive: true, force: true });
});

const codeOf = (work: () => unknown) => {
  try {
    work();
    return 'ok';
  } catch (err) {
    return err instanceof DiscoError ? err.code : String((err as NodeJS.ErrnoException).code ?? err);
  }
};

/** Reads through openFollow and closes the descriptor. */
const readFollow = (p: string) => {
  const f = ws.openFollow(p);
  try {
    return { rel: f.rel, text: readFileSync(f.fd, 'utf8') };
  } finally {
    closeSync(f.fd);
  }
};

describe('WorkspaceDir', () => {
  it('opens a plain path and names it canonically', () => {
    expect(readFollow('./dir//sub/file.txt')).toEqual({ rel: 'dir/sub/file.txt', text: 'inside\n' });
  });

  it('follows an in-workspace symlink, relative or absolute, in a parent or as the final name', async () => {
    await symlink('dir/sub', path.join(root, 'rel-link'));
    await symlink(path.join(root, 'dir'), path.join(root, 'abs-link'));
    await symlink('../sub/file.txt', path.join(root, 'dir/sub/file-link'));
    expect(readFollow('rel-link/file.txt')).toEqual({ rel: 'dir/sub/file.txt', text: 'inside\n' });
    expect(readFollow('abs-link/sub/file.txt').rel).toBe('dir/sub/file.txt');
    expect(readFollow('dir/sub/file-link').rel).toBe('dir/sub/file.txt');
  });

  it('rejects a symlink that escapes the workspace', async () => {
    await symlink('../outside', path.join(root, 'up'));
    await symlink(outside, path.join(root, 'abs'));
    await symlink('/etc/passwd', path.join(root, 'dir/passwd'));
    expect(codeOf(() => readFollow('up/secret.txt'))).toBe('path_outside_workspace');
    expect(codeOf(() => readFollow('abs/secret.txt'))).toBe('path_outside_workspace');
    expect(codeOf(() => readFollow('dir/passwd'))).toBe('path_outside_workspace');
    expect(codeOf(() => ws.locate('up/new.txt', { followFinal: true, create: true }))).toBe('path_outside_workspace');
    expect(await readdir(outside)).toEqual(['secret.txt']);
  });

  it(`bounds symlink hops at ${MAX_SYMLINK_HOPS}`, async () => {
    await symlink('b', path.join(root, 'a'));
    await symlink('a', path.join(root, 'b'));
    expect(codeOf(() => readFollow('a'))).toBe('invalid_path');
    expect(codeOf(() => ws.locate('a/x', { followFinal: false }))).toBe('invalid_path');
  });

  it('leaves a final symlink as it is without followFinal, so it can be deleted or moved itself', async () => {
    await symlink(outside, path.join(root, 'dir/out'));
    const loc = ws.locate('dir/out', { followFinal: false });
    try {
      expect(loc.name).toBe('out');
      expect(loc.stat?.isSymbolicLink()).toBe(true);
    } finally {
      ws.release(loc.dirFd);
    }
  });

  it('follows a dangling in-workspace symlink to where a write would create its target', async () => {
    await symlink('dir/sub/new.txt', path.join(root, 'dangling'));
    const loc = ws.locate('dangling', { followFinal: true });
    try {
      expect(loc).toMatchObject({ name: 'new.txt', rel: 'dir/sub/new.txt', stat: undefined });
    } finally {
      ws.release(loc.dirFd);
    }
  });

  it('creates missing parents only when asked, handing them to the owner', async () => {
    expect(codeOf(() => ws.locate('x/y/z.txt', { followFinal: true }))).toBe('not_found');
    const owner = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    const loc = ws.locate('x/y/z.txt', { followFinal: true, create: true, owner });
    ws.release(loc.dirFd);
    expect(loc.rel).toBe('x/y/z.txt');
    expect(await readdir(path.join(root, 'x'))).toEqual(['y']);
  });

  it('refuses a FIFO without blocking: it opens non-blocking and is never taken for a regular file', async () => {
    execFileSync('mkfifo', [path.join(root, 'dir/pipe')]);
    const started = performance.now();
    const f = ws.openFollow('dir/pipe');
    expect(fstatSync(f.fd).isFIFO()).toBe(true);
    closeSync(f.fd);
    const dir = ws.openDirStrict('dir');
    try {
      expect(openRegularAt(dir, 'pipe')).toBeUndefined();
      expect(readSmallAt(dir, 'pipe', 1024)).toBeUndefined();
    } finally {
      closeSync(dir);
    }
    expect(ws.openRegularStrict('dir/pipe')).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(5000); // a blocking open of a FIFO never returns
  });

  it('opens a directory strictly: a symlink on the way is not followed', async () => {
    await symlink('dir', path.join(root, 'dir-link'));
    expect(codeOf(() => closeSync(ws.openDirStrict('dir/sub')))).toBe('ok');
    expect(codeOf(() => ws.openDirStrict('dir-link/sub'))).toBe('ENOTDIR');
    expect(ws.openRegularStrict('dir-link/sub/file.txt')).toBeUndefined();
  });

  it('renames between two pinned directories', async () => {
    const a = ws.openDirStrict('dir/sub');
    const b = ws.openDirStrict('dir');
    try {
      renameSync(at(a, 'file.txt'), at(b, 'moved.txt'));
    } finally {
      closeSync(a);
      closeSync(b);
    }
    expect(await readFile(path.join(root, 'dir/moved.txt'), 'utf8')).toBe('inside\n');
  });

  it('reads at most the cap, even from a file larger than it says', async () => {
    await writeFile(path.join(root, 'big.txt'), 'x'.repeat(100));
    const file = ws.openRegularStrict('big.txt');
    if (!file) throw new Error('not opened');
    try {
      expect(await readCapped(file.fd, 10, 50)).toBeUndefined(); // a stale size from before it grew
      expect((await readCapped(file.fd, 100, 100))?.length).toBe(100);
    } finally {
      closeSync(file.fd);
    }
  });
});

describe('removeTree', () => {
  it('deletes a tree without following a symlink out of it', async () => {
    await symlink(outside, path.join(root, 'dir/sub/out'));
    await symlink(path.join(outside, 'secret.txt'), path.join(root, 'dir/secret-link'));
    execFileSync('mkfifo', [path.join(root, 'dir/pipe')]);
    const dir = ws.openDirStrict('.');
    try {
      await removeTreeAt(dir, 'dir');
    } finally {
      closeSync(dir);
    }
    expect(await readdir(root)).toEqual([]);
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('outside\n');
  });

  it('deletes a symlink given as the tree itself, not its target, and ignores a missing path', async () => {
    await symlink(outside, path.join(base, 'link'));
    await removeTree(path.join(base, 'link'));
    await removeTree(path.join(base, 'missing'));
    expect((await readdir(base)).sort()).toEqual(['outside', 'root']);
    expect(await readdir(outside)).toEqual(['secret.txt']);
  });
});

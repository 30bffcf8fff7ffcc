import { fstatSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RootHandles } from '../../src/daemon/workspace/root-handles.js';
import { O_PATH, withWorkspace, workspaceRoots } from '../../src/daemon/workspace/workspace-dir.js';
import { tempDir } from '../helpers/daemon.js';

const FLAGS = O_PATH | 0o200000; // O_PATH | O_DIRECTORY
const isOpen = (fd: number) => {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
};

let home: string;
beforeEach(async () => {
  home = await tempDir('disco-roots-');
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('RootHandles', () => {
  it('keeps a root open between operations and closes a forgotten one only after its last user', () => {
    const roots = new RootHandles(FLAGS);
    const a = roots.acquire(home);
    roots.release(a);
    const again = roots.acquire(home);
    expect(again.fd).toBe(a.fd);
    roots.forget(home);
    expect(isOpen(a.fd)).toBe(true); // still in use
    roots.release(again);
    expect(isOpen(a.fd)).toBe(false);
    expect(roots.size).toBe(0);
  });

  it('reopens a root whose directory was removed and made again', () => {
    const roots = new RootHandles(FLAGS);
    const dir = path.join(home, 'ws');
    mkdirSync(dir);
    const first = roots.acquire(dir);
    roots.release(first);
    rmSync(dir, { recursive: true });
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'new.txt'), 'x');
    const second = roots.acquire(dir);
    // The new directory, not the removed one the old descriptor pinned.
    expect(readdirSync(`/proc/self/fd/${second.fd}`)).toEqual(['new.txt']);
    roots.release(second);
    rmSync(dir, { recursive: true });
    expect(() => roots.acquire(dir)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('is bounded: the least recently used idle root is closed', () => {
    const roots = new RootHandles(FLAGS, 2);
    const dirs = ['a', 'b', 'c'].map((n) => path.join(home, n));
    for (const d of dirs) mkdirSync(d);
    const handles = dirs.map((d) => {
      const h = roots.acquire(d);
      roots.release(h);
      return h;
    });
    expect(roots.size).toBe(2);
    expect(isOpen((handles[0] as { fd: number }).fd)).toBe(false);
    expect(isOpen((handles[2] as { fd: number }).fd)).toBe(true);
  });

  it('serves withWorkspace: a missing root is not found', async () => {
    await expect(withWorkspace(path.join(home, 'gone'), () => 1)).rejects.toMatchObject({ code: 'not_found' });
    expect(await withWorkspace(home, (ws) => ws.root)).toBe(home);
    workspaceRoots.forget(home);
  });
});

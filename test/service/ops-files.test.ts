import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/daemon/ops/op.js';
import { type OpHarness, opHarness } from '../helpers/ops.js';

// Behaviour of the file ops, called in-process through ops/invoke.ts (the HTTP tests keep status codes and
// headers). Inputs and results are typed from the ops' schemas: `w.hash` is a string, `r.encoding` a union.

let h: OpHarness;
let alice: Principal;
let root: string;

beforeAll(async () => {
  h = await opHarness();
  alice = await h.user('alice', ['containers', 'files:read', 'files:write']);
  const c = await h.call('container_create', { name: 'ws' }, { as: alice });
  root = path.join(h.home, 'containers', c.id);
});
afterAll(() => h.close());

describe('file ops through the harness', () => {
  it('round-trips binary content as base64', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 0, 10]);
    const w = await h.call(
      'file_write',
      { container: 'ws', path: 'img.bin', content: bytes.toString('base64'), encoding: 'base64' },
      { as: alice },
    );
    expect(w).toMatchObject({ path: 'img.bin', size: 8, created: true });
    expect((await readFile(path.join(root, 'img.bin'))).equals(bytes)).toBe(true);
    const r = await h.call('file_read', { container: 'ws', path: 'img.bin' }, { as: alice });
    expect(r.encoding).toBe('base64');
    expect(Buffer.from(r.content, 'base64').equals(bytes)).toBe(true);
    expect(r.hash).toBe(w.hash);
  });

  it('deletes files, and directories only with recursive', async () => {
    await h.call('file_write', { container: 'ws', path: 'del/x.txt', content: 'x' }, { as: alice });
    await expect(h.call('file_delete', { container: 'ws', path: 'del' }, { as: alice })).rejects.toMatchObject({
      code: 'validation_failed',
    });
    expect(await readFile(path.join(root, 'del/x.txt'), 'utf8')).toBe('x');
    expect(await h.call('file_delete', { container: 'ws', path: 'del/x.txt' }, { as: alice })).toEqual({
      path: 'del/x.txt',
      type: 'file',
      deleted: true,
    });
    const dir = await h.call('file_delete', { container: 'ws', path: 'del', recursive: true }, { as: alice });
    expect(dir.type).toBe('directory');
    await expect(h.call('file_delete', { container: 'ws', path: 'del' }, { as: alice })).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('moves, refusing to overwrite unless asked', async () => {
    const write = (p: string, content: string) =>
      h.call('file_write', { container: 'ws', path: p, content }, { as: alice });
    await write('mv/a.txt', 'A');
    await write('mv/b.txt', 'B');
    await expect(
      h.call('file_move', { container: 'ws', from: 'mv/a.txt', to: 'mv/b.txt' }, { as: alice }),
    ).rejects.toMatchObject({ code: 'conflict' });
    expect(await readFile(path.join(root, 'mv/b.txt'), 'utf8')).toBe('B');
    const ok = await h.call(
      'file_move',
      { container: 'ws', from: 'mv/a.txt', to: 'mv/b.txt', overwrite: true },
      { as: alice },
    );
    expect(ok).toEqual({ from: 'mv/a.txt', to: 'mv/b.txt', type: 'file' });
    expect(await readFile(path.join(root, 'mv/b.txt'), 'utf8')).toBe('A');
    const renamed = await h.call('file_move', { container: 'ws', from: 'mv', to: 'moved/here' }, { as: alice });
    expect(renamed).toMatchObject({ to: 'moved/here', type: 'directory' });
  });

  it("checks scope and ownership as REST and MCP do: another user's container is not found", async () => {
    const reader = await h.user('bob', ['containers', 'files:read']);
    await expect(
      h.call('file_write', { container: 'ws', path: 'x.txt', content: 'x' }, { as: reader }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    await expect(h.call('file_read', { container: 'ws', path: 'mv/b.txt' }, { as: reader })).rejects.toMatchObject({
      code: 'not_found',
    });
    // The same container by id, as the admin, is not theirs either: the admin's own list is empty.
    expect((await h.call('container_list', {})).containers).toEqual([]);
  });
});

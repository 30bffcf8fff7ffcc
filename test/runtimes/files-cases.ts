import { beforeAll, describe, expect, it } from 'vitest';
import { eventually, node, type RuntimeApi } from './api.js';

/** Files: the file ops, and what commands in the container see of them. */
export function fileCases(api: RuntimeApi): void {
  const { call, exec, files, write, read } = api;

  describe('files', () => {
    const c = 'files';
    beforeAll(async () => {
      await api.fixture().createContainer(c);
    }, 60_000);

    it('writes, reads, lists and stats a file, and a command in the container sees it', async () => {
      const w = await write(c, 'src/notes.txt', 'one\ntwo\n');
      expect(w).toMatchObject({ status: 200, body: { path: 'src/notes.txt', size: 8, created: true } });
      const r = await read(c, 'path=src/notes.txt');
      expect(r.body).toMatchObject({
        encoding: 'utf8',
        content: 'one\ntwo\n',
        size: 8,
        totalLines: 2,
        hash: w.body.hash,
      });
      const list = await call('GET', `${files(c)}?path=src`);
      expect(list.body.entries).toEqual([
        expect.objectContaining({ path: 'src/notes.txt', name: 'notes.txt', type: 'file', size: 8 }),
      ]);
      const root = await call('GET', files(c));
      expect(root.body.entries).toContainEqual(expect.objectContaining({ path: 'src', type: 'directory' }));
      expect((await exec(c, ['cat', 'src/notes.txt'])).stdout).toBe('one\ntwo\n');
      expect((await exec(c, ['ls', 'src'])).stdout.split(/\s+/).filter(Boolean)).toEqual(['notes.txt']);
    });

    it('sees a file a command wrote', async () => {
      await exec(c, node("require('fs').writeFileSync('made-by-node.txt', 'from inside\\n')"));
      const r = await eventually(
        () => read(c, 'path=made-by-node.txt'),
        (x) => x.status === 200,
      );
      expect(r.body).toMatchObject({ content: 'from inside\n', size: 12 });
    });

    it('round-trips binary content byte for byte', async () => {
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const w = await write(c, 'bin/all.bin', bytes.toString('base64'), { encoding: 'base64' });
      expect(w.body).toMatchObject({ size: 256 });
      const r = await read(c, 'path=bin/all.bin');
      expect(r.body.encoding).toBe('base64');
      expect(Buffer.from(r.body.content, 'base64').equals(bytes)).toBe(true);
      const inside = await exec(
        c,
        node("const b=require('fs').readFileSync('bin/all.bin');console.log(b.length, b[0], b[255])"),
      );
      expect(inside.stdout).toBe('256 0 255\n');
    });

    it('moves, refuses to overwrite without overwrite: true, and deletes', async () => {
      await write(c, 'mv/a.txt', 'A');
      await write(c, 'mv/b.txt', 'B');
      const refused = await call('POST', `${files(c)}/move`, { from: 'mv/a.txt', to: 'mv/b.txt' });
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('conflict');
      expect((await read(c, 'path=mv/b.txt')).body.content).toBe('B');
      const moved = await call('POST', `${files(c)}/move`, { from: 'mv/a.txt', to: 'mv/c.txt' });
      expect(moved.body).toMatchObject({ from: 'mv/a.txt', to: 'mv/c.txt', type: 'file' });
      const over = await call('POST', `${files(c)}/move`, { from: 'mv/c.txt', to: 'mv/b.txt', overwrite: true });
      expect(over.status).toBe(200);
      expect((await read(c, 'path=mv/b.txt')).body.content).toBe('A');
      expect((await read(c, 'path=mv/c.txt')).body.error.code).toBe('not_found');
      const del = await call('DELETE', `${files(c)}?path=mv/b.txt`);
      expect(del.body).toMatchObject({ path: 'mv/b.txt', type: 'file', deleted: true });
      const dir = await call('DELETE', `${files(c)}?path=mv`);
      expect(dir.status).toBe(400);
      expect((await call('DELETE', `${files(c)}?path=mv&recursive=true`)).body).toMatchObject({ deleted: true });
      expect(
        (
          await eventually(
            () => exec(c, node("console.log(require('fs').existsSync('mv'))")),
            (x) => x.stdout === 'false\n',
          )
        ).stdout,
      ).toBe('false\n');
    });

    it('refuses a stale ifMatch with conflict and leaves the file as it was', async () => {
      const first = await write(c, 'cas.txt', 'v1');
      expect((await write(c, 'cas.txt', 'v2', { ifMatch: first.body.hash })).status).toBe(200);
      const stale = await write(c, 'cas.txt', 'v3', { ifMatch: first.body.hash });
      expect(stale.status).toBe(409);
      expect(stale.body.error.code).toBe('conflict');
      expect((await exec(c, ['cat', 'cas.txt'])).stdout).toBe('v2');
    });
  });
}

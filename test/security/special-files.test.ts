import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyOf, startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

/**
 * FIFOs and devices must never reach a read or a write: opening or reading one blocks a libuv threadpool
 * thread (shared by every user's writes, listings and execs) and /dev/zero never ends. Each case must
 * answer quickly with a typed error or skip the file, and the daemon must keep serving and stop on close.
 */
describe('special files in a workspace', () => {
  let t: TestDaemon | undefined;
  const daemon = () => t as TestDaemon;
  let root: string;
  const fifos: string[] = [];
  const mkfifo = (rel: string) => {
    const abs = path.join(root, rel);
    execFileSync('mkfifo', [abs]);
    fifos.push(abs);
  };
  // A hung request fails the test instead of hanging it.
  const json = async (method: string, p: string, body?: unknown) => {
    const res = await daemon().request(method, p, {
      ...(body === undefined ? {} : { body }),
      headers: {},
    });
    return { status: res.status, body: await bodyOf(res) };
  };
  const timed = async <T>(work: Promise<T>, ms = 3000): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };

  beforeAll(async () => {
    t = await startTestDaemon({ DISCO_POOL_SIZE: '0' });
    const c = (await daemon().json('POST', '/api/v1/containers', { name: 'special' })).body;
    root = path.join(daemon().home, 'containers', c.id);
    await writeFile(path.join(root, 'ok.txt'), 'fine\n');
    mkfifo('pipe');
    await symlink('/dev/zero', path.join(root, 'zero'));
    await mkdir(path.join(root, 'fifo-ignore'));
    mkfifo('fifo-ignore/.gitignore');
    await writeFile(path.join(root, 'fifo-ignore/a.txt'), 'needle\n');
    await mkdir(path.join(root, 'zero-ignore'));
    await symlink('/dev/zero', path.join(root, 'zero-ignore/.gitignore'));
    await writeFile(path.join(root, 'zero-ignore/b.txt'), 'needle\n');
    await mkdir(path.join(root, 'with-fifo'));
    mkfifo('with-fifo/named');
    await writeFile(path.join(root, 'with-fifo/c.txt'), 'needle\n');
  });

  afterAll(async () => {
    // Unblocks any reader stuck on a FIFO (only the unfixed code has one), so the run can end.
    for (const f of fifos) {
      try {
        closeSync(openSync(f, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        // no reader: nothing is stuck on it
      }
    }
    if (t) await timed(t.stop(), 5000);
  });

  const api = (p: string) => `/api/v1/containers/special${p}`;

  it('refuses to read a FIFO or a symlink to /dev/zero, at once', async () => {
    const fifo = await timed(json('GET', api('/files/content?path=pipe')));
    expect(fifo.body.error.code).toBe('not_a_file');
    const ranged = await timed(json('GET', api('/files/content?path=pipe&startLine=1&endLine=2')));
    expect(ranged.body.error.code).toBe('not_a_file');
    const zero = await timed(json('GET', api('/files/content?path=zero')));
    expect(zero.body.error.code).toBe('path_outside_workspace');
  });

  it('refuses to write onto a FIFO, with or without ifMatch, and leaves it in place', async () => {
    const plain = await timed(json('PUT', api('/files/content'), { path: 'pipe', content: 'x' }));
    expect(plain.body.error.code).toBe('not_a_file');
    const conditional = await timed(
      json('PUT', api('/files/content'), { path: 'pipe', content: 'x', ifMatch: '0'.repeat(64) }),
    );
    expect(conditional.body.error.code).toBe('not_a_file');
    const listed = await timed(json('GET', api('/files?path=.')));
    expect(listed.body.entries.find((e: { name: string }) => e.name === 'pipe')).toMatchObject({ type: 'other' });
  });

  it('lists and searches past a .gitignore that is a FIFO or links to /dev/zero, without reading it', async () => {
    const rssBefore = process.memoryUsage().rss;
    for (const dir of ['fifo-ignore', 'zero-ignore', '.']) {
      const list = await timed(json('GET', api(`/files?path=${dir}&recursive=true`)));
      expect(list.status).toBe(200);
      const search = await timed(json('POST', api('/files/search'), { path: dir, query: 'needle' }));
      expect(search.status).toBe(200);
      expect(search.body.matches.length).toBeGreaterThan(0);
    }
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(128 * 1024 * 1024);
  });

  it('skips a FIFO inside a directory that is listed, searched and indexed', async () => {
    const list = await timed(json('GET', api('/files?path=with-fifo')));
    expect(list.body.entries.map((e: { name: string; type: string }) => `${e.name}:${e.type}`)).toEqual([
      'c.txt:file',
      'named:other',
    ]);
    const search = await timed(json('POST', api('/files/search'), { path: 'with-fifo', query: 'needle' }));
    expect(search.body.matches).toEqual([{ path: 'with-fifo/c.txt', line: 1, column: 1, text: 'needle' }]);
    const index = await timed(json('POST', '/api/v1/rag/index', { container: 'special', wait: true }), 20_000);
    expect(index.body).toMatchObject({ state: 'ready' });
  }, 30_000);

  it('still serves other requests afterwards, and stops on close', async () => {
    const ok = await timed(json('GET', api('/files/content?path=ok.txt')));
    expect(ok.body.content).toBe('fine\n');
    const written = await timed(json('PUT', api('/files/content'), { path: 'after.txt', content: 'y' }));
    expect(written.status).toBe(200);
    await timed(daemon().stop(), 5000);
    t = undefined;
  });
});

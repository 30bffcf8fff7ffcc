import { readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/daemon/workspace/content.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

let t: TestDaemon;
let root: string;
const F = '/api/v1/containers/ws/files';

beforeAll(async () => {
  t = await startTestDaemon({ DISCO_FILE_READ_MAX_BYTES: '4096' });
  const c = (await t.json('POST', '/api/v1/containers', { name: 'ws' })).body;
  root = path.join(t.home, 'containers', c.id);
});
afterAll(() => t.stop());

const put = (p: string, content: string, extra: Record<string, unknown> = {}) =>
  t.json('PUT', `${F}/content`, { path: p, content, ...extra });
const read = (query: string) => t.json('GET', `${F}/content?${query}`);

describe('file_write and file_read', () => {
  it('creates parents, then reads back text with hash and line count', async () => {
    const w = await put('src/deep/a.txt', 'one\ntwo\nthree\n');
    expect(w).toMatchObject({ status: 200, body: { path: 'src/deep/a.txt', size: 14, created: true } });
    const r = await read('path=src/deep/a.txt');
    expect(r.body).toMatchObject({ encoding: 'utf8', content: 'one\ntwo\nthree\n', totalLines: 3, hash: w.body.hash });
  });

  it('reads a line range', async () => {
    const r = await read('path=src/deep/a.txt&startLine=2&endLine=3');
    expect(r.body).toMatchObject({ content: 'two\nthree\n', startLine: 2, endLine: 3 });
    expect((await read('path=src/deep/a.txt&startLine=3&endLine=2')).status).toBe(400);
  });

  it('refuses invalid base64 and writes nothing', async () => {
    const r = await put('bad.bin', 'not base64!!', { encoding: 'base64' });
    expect(r.body.error.code).toBe('validation_failed');
    expect((await read('path=bad.bin')).status).toBe(404);
  });

  it('writes with a matching ifMatch and answers 409 on a stale one, leaving the file as it was', async () => {
    const first = await put('cas.txt', 'v1');
    expect((await put('cas.txt', 'v2', { ifMatch: first.body.hash })).status).toBe(200);
    const stale = await put('cas.txt', 'v3', { ifMatch: first.body.hash });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'conflict', details: { currentHash: sha256('v2') } });
    expect(await readFile(path.join(root, 'cas.txt'), 'utf8')).toBe('v2');
  });

  it('answers too_large past the read cap, and a range still works', async () => {
    await writeFile(path.join(root, 'big.txt'), `${'x'.repeat(99)}\n`.repeat(100));
    const r = await read('path=big.txt');
    expect(r.status).toBe(413);
    expect(r.body.error).toMatchObject({ code: 'too_large', details: { size: 10_000, limit: 4096 } });
    expect((await read('path=big.txt&startLine=100&endLine=100')).body.content).toBe(`${'x'.repeat(99)}\n`);
  });

  it('answers not_a_file for a directory and not_found for a missing file', async () => {
    expect((await read('path=src')).body.error.code).toBe('not_a_file');
    expect((await read('path=nope.txt')).body.error.code).toBe('not_found');
    expect((await put('src', 'x')).body.error.code).toBe('not_a_file');
  });
});

describe('file_list', () => {
  it('lists one level, or recursively with depth and limit', async () => {
    await put('tree/a/b/c.txt', 'c');
    await put('tree/top.txt', 't');
    const flat = await t.json('GET', `${F}?path=tree`);
    expect(flat.body.entries.map((e: { path: string }) => e.path)).toEqual(['tree/a', 'tree/top.txt']);
    expect(flat.body.entries[0]).toMatchObject({ name: 'a', type: 'directory' });
    const deep = await t.json('GET', `${F}?path=tree&recursive=true`);
    expect(deep.body.entries.map((e: { path: string }) => e.path)).toContain('tree/a/b/c.txt');
    const shallow = await t.json('GET', `${F}?path=tree&recursive=true&depth=2`);
    expect(shallow.body.entries.map((e: { path: string }) => e.path)).not.toContain('tree/a/b/c.txt');
    const limited = await t.json('GET', `${F}?path=tree&recursive=true&limit=2`);
    expect(limited.body).toMatchObject({ truncated: true });
    expect(limited.body.entries).toHaveLength(2);
  });

  it('honours .gitignore unless all=true', async () => {
    await put('ign/.gitignore', 'secret/\n');
    await put('ign/secret/k.txt', 'k');
    const r = await t.json('GET', `${F}?path=ign&recursive=true`);
    expect(r.body.entries.map((e: { path: string }) => e.path)).toEqual(['ign/.gitignore']);
    const all = await t.json('GET', `${F}?path=ign&recursive=true&all=true`);
    expect(all.body.entries.map((e: { path: string }) => e.path)).toContain('ign/secret/k.txt');
  });

  it('answers not_a_directory for a file', async () => {
    expect((await t.json('GET', `${F}?path=cas.txt`)).body.error.code).toBe('not_a_directory');
  });
});

// Deleting and moving: test/service/ops-files.test.ts (through the op harness).

describe('file_search', () => {
  beforeAll(async () => {
    await put('s/.gitignore', 'build/\n');
    await put('s/src/app.ts', 'export function handleRequest() {}\nconst TODO = 1;\n');
    await put('s/src/util.py', 'def handle_request():\n    pass  # todo\n');
    await put('s/build/out.js', 'handleRequest();\n');
    await put('s/long.txt', `${'a'.repeat(30_000)}!\n`);
  });
  const search = (body: Record<string, unknown>) => t.json('POST', `${F}/search`, { path: 's', ...body });

  it('finds literal text case-insensitively by default, skipping ignored files', async () => {
    const r = await search({ query: 'todo' });
    expect(r.body.matches.map((m: { path: string; line: number }) => `${m.path}:${m.line}`)).toEqual([
      's/src/app.ts:2',
      's/src/util.py:2',
    ]);
    expect((await search({ query: 'todo', caseSensitive: true })).body.matches).toHaveLength(1);
    expect((await search({ query: 'handleRequest', includeIgnored: true })).body.matches).toHaveLength(2);
  });

  it('searches by regex and by glob', async () => {
    const re = await search({ query: 'handle_?request', regex: true });
    expect(re.body.matches.map((m: { path: string }) => m.path)).toEqual(['s/src/app.ts', 's/src/util.py']);
    const glob = await search({ glob: '*.py' });
    expect(glob.body.matches).toEqual([{ path: 's/src/util.py' }]);
    const both = await search({ glob: '**/*.ts', query: 'function' });
    expect(both.body.matches).toHaveLength(1);
  });

  it('stops at maxResults and says so', async () => {
    const r = await search({ query: 'e', maxResults: 1 });
    expect(r.body).toMatchObject({ truncated: true, reason: 'maxResults reached' });
    expect(r.body.matches).toHaveLength(1);
  });

  it('survives a catastrophic regex and refuses backreferences', async () => {
    const started = performance.now();
    const r = await search({ query: '(a+)+$', regex: true });
    expect(r.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect((await search({ query: '(a)\\1', regex: true })).body.error.code).toBe('validation_failed');
    expect((await search({})).body.error.code).toBe('validation_failed');
  });
});

describe('path containment over REST', () => {
  let outside: string;
  beforeAll(async () => {
    outside = path.join(t.home, 'outside.txt');
    await writeFile(outside, 'do not touch');
    await symlink(outside, path.join(root, 'leak'));
    await symlink(t.home, path.join(root, 'homelink'));
    await symlink(path.join(t.home, 'created-by-attack.txt'), path.join(root, 'dangling'));
  });

  const attempts = (p: string) => [
    read(`path=${encodeURIComponent(p)}`),
    put(p, 'pwned'),
    t.json('DELETE', `${F}?path=${encodeURIComponent(p)}&recursive=true`),
    t.json('POST', `${F}/move`, { from: 'cas.txt', to: p }),
    t.json('GET', `${F}?path=${encodeURIComponent(p)}`),
  ];

  it.each(['../outside.txt', '/etc/passwd', 'a/../../outside.txt', 'homelink/outside.txt', 'homelink/new-file.txt'])(
    'refuses %s on every file op and changes nothing',
    async (p) => {
      for (const r of await Promise.all(attempts(p))) {
        expect(r.status).toBe(400);
        expect(['path_outside_workspace', 'invalid_path']).toContain(r.body.error.code);
      }
      expect(await readFile(outside, 'utf8')).toBe('do not touch');
      await expect(readFile(path.join(t.home, 'new-file.txt'))).rejects.toThrow();
    },
  );

  it('refuses to read or write through a symlink that points outside', async () => {
    expect((await read('path=leak')).body.error.code).toBe('path_outside_workspace');
    expect((await put('leak', 'pwned')).body.error.code).toBe('path_outside_workspace');
    expect((await put('dangling', 'pwned')).body.error.code).toBe('path_outside_workspace');
    expect(await readFile(outside, 'utf8')).toBe('do not touch');
    await expect(readFile(path.join(t.home, 'created-by-attack.txt'))).rejects.toThrow();
  });

  it('deletes the escaping symlink itself, not its target', async () => {
    expect((await t.json('DELETE', `${F}?path=leak`)).body).toMatchObject({ type: 'symlink', deleted: true });
    expect(await readFile(outside, 'utf8')).toBe('do not touch');
  });

  it('refuses a NUL byte', async () => {
    expect((await read('path=a%00b')).body.error.code).toBe('invalid_path');
    expect((await put('a\0b', 'x')).body.error.code).toBe('invalid_path');
  });

  it('handles unicode names', async () => {
    expect((await put('données/日本語 ✓.txt', 'ok')).status).toBe(200);
    expect((await read(`path=${encodeURIComponent('données/日本語 ✓.txt')}`)).body.content).toBe('ok');
  });
});

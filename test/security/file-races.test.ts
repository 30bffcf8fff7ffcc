import { randomBytes } from 'node:crypto';
import { lstat, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon, tempDir } from '../helpers/daemon.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

const hasBwrap = requireSystem('bubblewrap', hasCommand('bwrap', ['--version']));
const hasPython = requireSystem('python3', hasCommand('python3', ['--version']));

/**
 * The attack of the security issue, for real: a process inside the container swaps a real directory `d`
 * with a symlink `l` -> a host directory outside the workspace (renameat2 RENAME_EXCHANGE in a loop),
 * while the test reads, writes, lists, searches, indexes, moves and deletes `d/...` over REST and MCP.
 */
const SWAPPER = `
import ctypes, sys, time
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, RENAME_EXCHANGE = -100, 2
end = time.time() + float(sys.argv[1])
n = 0
while time.time() < end:
    libc.renameat2(AT_FDCWD, b'd', AT_FDCWD, b'l', RENAME_EXCHANGE)
    n += 1
print(n)
`;

describe.runIf(hasBwrap && hasPython)('file operations while the container swaps a directory with a symlink', () => {
  let t: TestDaemon;
  let mcp: Client;
  let hostDir: string;
  let root: string;
  let swapper: string;
  const secret = `HOST-SECRET-${randomBytes(8).toString('hex')}`;
  const hostFiles = ['host-marker.txt', 'secret.txt', 'victim.txt'];
  const leaks: string[] = [];
  /** Records any response that carries the host secret or names the host-only marker file. */
  const check = (what: string, body: unknown) => {
    const text = JSON.stringify(body);
    if (text.includes(secret) || text.includes('host-marker')) leaks.push(`${what}: ${text.slice(0, 200)}`);
  };
  const api = (method: string, p: string, body?: unknown) => t.json(method, `/api/v1/containers/race${p}`, body);
  const tool = async (name: string, args: Record<string, unknown>) => {
    const r = await mcp.callTool({ name, arguments: { container: 'race', ...args } });
    check(`mcp ${name}`, r);
    return r;
  };

  beforeAll(async () => {
    hostDir = await tempDir('disco-host-');
    await writeFile(path.join(hostDir, 'secret.txt'), secret);
    await writeFile(path.join(hostDir, 'host-marker.txt'), secret);
    await writeFile(path.join(hostDir, 'victim.txt'), secret);
    t = await startTestDaemon({ DISCO_SANDBOX: 'bwrap', DISCO_POOL_SIZE: '0' });
    const c = (await t.json('POST', '/api/v1/containers', { name: 'race' })).body;
    root = path.join(t.home, 'containers', c.id);
    await api('PUT', '/files/content', { path: 'd/secret.txt', content: 'workspace content\n' });
    await api('PUT', '/files/content', { path: 'd/victim.txt', content: 'workspace victim\n' });
    await api('PUT', '/files/content', { path: 'swap.py', content: SWAPPER });
    // Created from the host: the sandbox cannot see hostDir, but a symlink needs no target to exist.
    await symlink(hostDir, path.join(root, 'l'));
    mcp = new Client({ name: 'race-test', version: '1.0.0' });
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL(`${t.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${t.token}` } },
      }),
    );
    const r = await t.json('POST', '/api/v1/terminal/execute', {
      container: 'race',
      command: ['python3', 'swap.py', '60'],
      background: true,
    });
    expect(r.body).toMatchObject({ running: true });
    swapper = r.body.processId;
  });

  afterAll(async () => {
    if (swapper) await t.json('POST', `/api/v1/terminal/processes/${swapper}/kill`, { signal: 'SIGKILL' });
    await mcp?.close();
    await t?.stop();
    await rm(hostDir, { recursive: true, force: true });
  });

  it('never reads, lists, searches or indexes a host file, nor creates, moves or deletes one', async () => {
    // Positive control: the swapper is live (d is seen as the symlink from the host at some moment).
    // Bounded by time, not count: python's start inside a fresh sandbox can take a while on a loaded machine.
    let swapped = false;
    for (const until = Date.now() + 20_000; !swapped && Date.now() < until; ) {
      swapped = (await lstat(path.join(root, 'd')).catch(() => undefined))?.isSymbolicLink() ?? false;
    }
    expect(swapped).toBe(true);
    let served = 0;
    for (let i = 0; i < 250; i++) {
      const r = await api('GET', '/files/content?path=d/secret.txt');
      check('read', r.body);
      if (r.status === 200) served++;
    }
    for (let i = 0; i < 30; i++) {
      check('read range', (await api('GET', '/files/content?path=d/secret.txt&startLine=1&endLine=5')).body);
      check('list', (await api('GET', '/files?path=.&recursive=true&all=true')).body);
      check('list d', (await api('GET', '/files?path=d')).body);
      check('search', (await t.json('POST', '/api/v1/containers/race/files/search', { query: 'HOST-SECRET' })).body);
      check(
        'search glob',
        (await t.json('POST', '/api/v1/containers/race/files/search', { path: 'd', glob: '*', query: 'e' })).body,
      );
      await tool('file_read', { path: 'd/secret.txt' });
      await tool('file_list', { path: '.', recursive: true, all: true });
      await tool('file_search', { query: 'HOST-SECRET' });
    }
    for (let i = 0; i < 40; i++) {
      check('write', (await api('PUT', '/files/content', { path: `d/new-${i}.txt`, content: 'x' })).body);
      await tool('file_write', { path: `d/mcp-${i}.txt`, content: 'y' });
      check('write existing', (await api('PUT', '/files/content', { path: 'd/victim.txt', content: 'v' })).body);
      check(
        'move',
        (await t.json('POST', '/api/v1/containers/race/files/move', { from: 'd/victim.txt', to: 'd/moved.txt' })).body,
      );
      check(
        'move back',
        (
          await t.json('POST', '/api/v1/containers/race/files/move', {
            from: 'd/moved.txt',
            to: 'd/victim.txt',
            overwrite: true,
          })
        ).body,
      );
      await tool('file_move', { from: 'd/secret.txt', to: 'd/secret2.txt' });
      await tool('file_move', { from: 'd/secret2.txt', to: 'd/secret.txt', overwrite: true });
      check('delete', (await api('DELETE', '/files?path=d/victim.txt')).body);
      await tool('file_delete', { path: `d/new-${i}.txt` });
    }
    for (let i = 0; i < 3; i++) {
      check('index', (await t.json('POST', '/api/v1/rag/index', { container: 'race', wait: true })).body);
      check('rag search', (await t.json('POST', '/api/v1/rag/search', { container: 'race', query: secret })).body);
    }
    // Every op above was exercised, not refused wholesale.
    expect(served).toBeGreaterThan(0);
    expect(leaks).toEqual([]);
    expect((await readdir(hostDir)).sort()).toEqual(hostFiles);
    for (const f of hostFiles) expect(await readFile(path.join(hostDir, f), 'utf8')).toBe(secret);
  }, 120_000);
});

import { mkdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { speakFlags } from '../../src/cli/errors.js';
import { buildProgram } from '../../src/cli/main.js';
import { disco, type ServeProcess, spawnServe } from '../helpers/cli.js';
import { tempDir } from '../helpers/daemon.js';

let home: string;
let serve: ServeProcess;
let env: Record<string, string>;
const WRITE_LIMIT = 64 * 1024;

beforeAll(async () => {
  home = await tempDir('disco-e2e-out-');
  // A small write limit, so the test can go over it both ways (the op's check, the request body's).
  serve = await spawnServe(home, { DISCO_FILE_WRITE_MAX_BYTES: String(WRITE_LIMIT) });
  env = { DISCO_URL: serve.url, DISCO_HOME: home };
  expect((await disco(['containers', 'create', 'out'], env)).code).toBe(0);
});

afterAll(async () => {
  if (serve.child.exitCode === null) {
    await serve.stop();
  }
  await rm(home, { recursive: true, force: true });
});

const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });

describe('CLI output for people and scripts', () => {
  it('lists `files ls -r` sorted by path, in both renderings', async () => {
    for (const f of ['zeta.txt', 'b/y.txt', 'a.txt', 'b/a.txt', 'M.txt']) {
      expect((await disco(['files', 'write', 'out', f], env, 'x\n')).code).toBe(0);
    }
    const human = await disco(['files', 'ls', 'out', '-r'], env);
    const paths = human.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s+/).at(-1));
    expect(paths).toEqual(['M.txt', 'a.txt', 'b/', 'b/a.txt', 'b/y.txt', 'zeta.txt']);
    const json = JSON.parse((await disco(['files', 'ls', 'out', '-r', '--json'], env)).stdout);
    expect(json.entries.map((e: { path: string }) => e.path)).toEqual([
      'M.txt',
      'a.txt',
      'b',
      'b/a.txt',
      'b/y.txt',
      'zeta.txt',
    ]);
  });

  it('reports errors as JSON on stderr in --json mode, with a non-zero exit', async () => {
    const r = await disco(['files', 'cat', 'out', 'missing.txt', '--json'], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const body = JSON.parse(r.stderr);
    expect(body.error.code).toBe('not_found');
    expect(body.error.message).toMatch(/missing\.txt/);

    const down = await disco(['containers', 'ls', '--json'], {
      DISCO_URL: `http://127.0.0.1:${await freePort()}`,
      DISCO_HOME: home,
    });
    expect(down.code).toBe(3);
    expect(JSON.parse(down.stderr).error).toMatchObject({ code: 'daemon_unreachable' });

    // A value off the contract's list is refused before any request, as JSON too.
    const signal = await disco(['kill', 'proc_none', '--signal', 'SIGSTOP', '--json'], env);
    expect(signal.code).toBe(1);
    expect(JSON.parse(signal.stderr).error).toMatchObject({
      code: 'validation_failed',
      message: "--signal must be SIGTERM, SIGKILL, SIGINT or SIGHUP (got 'SIGSTOP')",
    });

    // A --json after `--` belongs to the command run, not to disco.
    const plain = await disco(['exec', 'nope', '--', 'echo', '--json'], env);
    expect(plain.stderr).toMatch(/^disco: .*\[not_found\]\n$/);
  });

  it("speaks the CLI's flags in error hints, not the API's fields", async () => {
    const mv = await disco(['files', 'mv', 'out', 'a.txt', 'zeta.txt'], env);
    expect(mv.code).toBe(1);
    expect(mv.stderr).toContain('pass -f to replace it');
    expect(mv.stderr).not.toContain('overwrite');
    const cat = await disco(['files', 'cat', 'out', 'a.txt', '--start', '3', '--end', '1'], env);
    expect(cat.stderr).toContain('--end must not be before --start');
    expect(speakFlags('timeoutMs must be at most 600000')).toBe('--timeout must be at most 600000');
    // `files write --if-match x` and `tokens create -e 0` named the API's fields.
    expect(speakFlags('ifMatch: a SHA-256 hex digest')).toBe('--if-match: a SHA-256 hex digest');
    expect(speakFlags('expiresInDays: Too small')).toBe('--expires-in-days: Too small');
    // `disco search web x -k 0`, `disco git log web -n 0`, `files search --max 0` named k, limit, maxResults.
    expect(speakFlags('k: Too small: expected number to be >=1')).toBe('-k: Too small: expected number to be >=1');
    expect(speakFlags('limit: Too small')).toBe('--limit: Too small');
    expect(speakFlags('depth: Too small')).toBe('--depth: Too small');
    expect(speakFlags('maxResults: Too big')).toBe('--max: Too big');
    expect(speakFlags('the limit: is fine')).toBe('the limit: is fine');
    expect((await disco(['files', 'write', 'out', 'rmdir/f.txt'], env, 'x')).code).toBe(0);
    const rm = await disco(['files', 'rm', 'out', 'rmdir'], env);
    expect(rm.code).toBe(1);
    expect(rm.stderr).toContain("'rmdir' is a directory; pass -r to delete it");
    expect(rm.stderr).not.toContain('recursive');
    expect((await disco(['files', 'rm', 'out', 'rmdir', '-r'], env)).code).toBe(0);
    // `disco call` takes the API's JSON, so its hints keep the API's words.
    const call = await disco(['call', 'file_move', '{"container":"out","from":"a.txt","to":"zeta.txt"}'], env);
    expect(call.stderr).toContain('overwrite: true');
  });

  it('says one message for the write limit, whether the write or the request body goes over it', async () => {
    const local = path.join(home, 'big');
    await mkdir(local);
    const said: string[] = [];
    // Just over: the op finds it. Three times over: the body parser does (the body limit is derived from it).
    for (const size of [WRITE_LIMIT + 1, WRITE_LIMIT * 3]) {
      await writeFile(path.join(local, 'f.bin'), Buffer.alloc(size, 7));
      const write = await disco(['files', 'write', 'out', 'big.bin', '--from', path.join(local, 'f.bin')], env);
      expect(write.code).toBe(1);
      said.push(write.stderr);
      const push = await disco(['files', 'push', 'out', local, 'pushed', '--json'], env);
      expect(push.code).toBe(1);
      expect(JSON.parse(push.stderr).error).toMatchObject({ code: 'too_large', details: { limit: WRITE_LIMIT } });
      said.push(JSON.parse(push.stderr).error.message);
    }
    expect(said[0]).toBe(
      `disco: content is ${WRITE_LIMIT + 1} bytes, over the ${WRITE_LIMIT}-byte write limit [too_large]\n`,
    );
    expect(said[2]).toMatch(/^disco: content is over the 64 KiB write limit \(the request body is over \d+ KiB\)/);
    for (const message of said) expect(message).toMatch(/over the (64 KiB|65536-byte) write limit/);
    expect((await disco(['files', 'ls', 'out'], env)).stdout).not.toMatch(/big\.bin|pushed/);
    // Content under the limit fits whatever its bytes (control characters would be six bytes each as JSON text).
    await writeFile(path.join(local, 'f.bin'), Buffer.alloc(WRITE_LIMIT, 7));
    const fits = await disco(['files', 'write', 'out', 'big.bin', '--from', path.join(local, 'f.bin'), '--json'], env);
    expect(fits.code, fits.stderr).toBe(0);
    expect(JSON.parse(fits.stdout)).toMatchObject({ size: WRITE_LIMIT });
  });

  it('prints a finished process as JSON with `logs --json`', async () => {
    const started = await disco(['exec', 'out', '-b', '--', 'sh', '-c', 'echo hi; echo err >&2; exit 3'], env);
    const id = started.stdout.trim();
    let r = await disco(['logs', id, '-f', '--json'], env);
    expect(r.code).toBe(3);
    const body = JSON.parse(r.stdout);
    expect(body).toMatchObject({ id, running: false, exitCode: 3 });
    expect(body.records).toEqual([
      { stream: 'stdout', text: 'hi\n' },
      { stream: 'stderr', text: 'err\n' },
    ]);
    r = await disco(['logs', id], env);
    expect(r).toEqual({ code: 3, stdout: 'hi\n', stderr: 'err\n' });
  });

  it('offers --json on every command that prints data', () => {
    const program = buildProgram({
      io: { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin },
      cliEnv: () => {
        throw new Error('not used');
      },
      processEnv: {},
      setExitCode: () => {},
    });
    const missing: string[] = [];
    const walk = (cmd: typeof program, name: string) => {
      if (cmd.commands.length === 0 && !cmd.options.some((o) => o.long === '--json')) missing.push(name);
      for (const sub of cmd.commands) walk(sub, `${name} ${sub.name()}`.trim());
    };
    walk(program, '');
    // serve and mcp run servers, shell is interactive, call always prints JSON.
    expect(missing.sort()).toEqual(['call', 'mcp', 'serve', 'shell']);
  });
});

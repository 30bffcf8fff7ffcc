import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callWithToken } from '../helpers/daemon.js';
import { cookiePair, raw } from '../helpers/preview-app.js';
import { TerminalProbe } from '../helpers/terminal.js';

/**
 * The op cases every container runtime must pass (issue 18), over the REST API of a real daemon. A
 * runtime's test file builds a fixture and calls `defineRuntimeCases`. The cases use only the command
 * surface the WebContainer stand-in implements (`node -v`, `node -e`, `echo`, `cat`, `ls`, `sleep`, `pwd`,
 * `true`, `false`, `sh -c "<one of these>"`, and an interactive shell for PTYs), and their expected
 * outputs never depend on the runtime (no absolute paths, pids or uids).
 */
export interface RuntimeFixture {
  name: 'sandbox' | 'webcontainer';
  baseUrl: string; // a running daemon (real HTTP, port 0)
  token: string; // admin bearer token
  createContainer(name: string): Promise<string>; // id, ready for exec
  close(): Promise<void>;
}

/** The interactive shell a PTY case opens, per runtime. */
export const PTY_SHELL: Record<RuntimeFixture['name'], string> = { sandbox: 'sh', webcontainer: 'jsh' };

interface Process {
  processId: string;
  running: boolean;
  exitCode: number | null;
  stdout: string;
  stderr: string;
}
interface OutputPage {
  status: string;
  running: boolean;
  exitCode: number | null;
  records: { stream: 'stdout' | 'stderr'; text: string }[];
  nextOffset: number;
  truncated: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until `done` holds of its value (a runtime may sync files or ports back a moment later). */
async function eventually<T>(probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (done(v) || Date.now() > end) return v;
    await sleep(100);
  }
}

/** `node -e <script>` as an argv. */
const node = (script: string, ...args: string[]) => ['node', '-e', script, ...args];

export function defineRuntimeCases(make: () => Promise<RuntimeFixture>): void {
  let fx: RuntimeFixture;
  // biome-ignore lint/suspicious/noExplicitAny: the cases assert on arbitrary JSON shapes
  const call = <T = any>(method: string, urlPath: string, body?: unknown) =>
    callWithToken(fx.baseUrl, method, `/api/v1${urlPath}`, fx.token, body) as Promise<{ status: number; body: T }>;
  const exec = async (container: string, command: string[] | string, extra: Record<string, unknown> = {}) => {
    const r = await call<Process>('POST', '/terminal/execute', {
      container,
      command,
      ...(typeof command === 'string' ? { shell: true } : {}),
      timeoutMs: 30_000,
      ...extra,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  };
  const output = (id: string, offset = 0, maxBytes?: number) =>
    call<OutputPage>(
      'GET',
      `/terminal/processes/${id}/output?offset=${offset}${maxBytes ? `&maxBytes=${maxBytes}` : ''}`,
    ).then((r) => r.body);
  /** Follows a process by offset until it ends: all its output in order, and the last page. */
  const follow = async (id: string, maxBytes?: number) => {
    let offset = 0;
    let text = '';
    const end = Date.now() + 20_000;
    for (;;) {
      const page = await output(id, offset, maxBytes);
      text += page.records.map((r) => r.text).join('');
      offset = page.nextOffset;
      if (!page.running && !page.truncated) return { text, last: page };
      if (Date.now() > end) throw new Error(`process ${id} did not end: ${JSON.stringify(page)}`);
      if (!page.truncated) await sleep(50);
    }
  };
  const files = (c: string) => `/containers/${c}/files`;
  const write = (c: string, path: string, content: string, extra: Record<string, unknown> = {}) =>
    call('PUT', `${files(c)}/content`, { path, content, ...extra });
  const read = (c: string, query: string) => call('GET', `${files(c)}/content?${query}`);

  beforeAll(async () => {
    fx = await make();
  }, 120_000);
  afterAll(async () => {
    await fx?.close();
  }, 60_000);

  describe('files', () => {
    const c = 'files';
    beforeAll(async () => {
      await fx.createContainer(c);
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

  describe('exec in the foreground', () => {
    const c = 'fg';
    beforeAll(async () => {
      await fx.createContainer(c);
    }, 60_000);

    it('returns stdout, stderr and the exit code', async () => {
      const v = await exec(c, ['node', '-v']);
      expect(v).toMatchObject({ running: false, exitCode: 0, stderr: '' });
      expect(v.stdout).toMatch(/^v\d+\.\d+\.\d+\n$/);
      const both = await exec(c, node("console.log('to out');console.error('to err');process.exit(3)"));
      expect(both).toMatchObject({ exitCode: 3, stdout: 'to out\n', stderr: 'to err\n', running: false });
      expect((await exec(c, ['echo', 'hello', 'world'])).stdout).toBe('hello world\n');
      expect((await exec(c, ['true'])).exitCode).toBe(0);
      expect((await exec(c, ['false'])).exitCode).toBe(1);
      expect((await exec(c, 'echo via shell')).stdout).toBe('via shell\n');
      expect((await exec(c, ['sh', '-c', 'false'])).exitCode).toBe(1);
    });

    it('passes argv, stdin and env, and runs in cwd', async () => {
      const argv = await exec(c, node('console.log(JSON.stringify(process.argv.slice(1)))', 'a b', '--x'));
      expect(JSON.parse(argv.stdout)).toEqual(['a b', '--x']);
      const env = await exec(c, node('console.log(process.env.DISCO_CASE)'), { env: { DISCO_CASE: 'set here' } });
      expect(env.stdout).toBe('set here\n');
      const stdin = await exec(
        c,
        node("let s='';process.stdin.on('data',d=>s+=d);process.stdin.on('end',()=>console.log(s.toUpperCase()))"),
        { stdin: 'piped in' },
      );
      expect(stdin.stdout).toBe('PIPED IN\n');
      await write(c, 'deep/dir/here.txt', 'in deep/dir\n');
      expect((await exec(c, ['cat', 'here.txt'], { cwd: 'deep/dir' })).stdout).toBe('in deep/dir\n');
      expect((await exec(c, ['ls'], { cwd: 'deep' })).stdout.trim()).toBe('dir');
      const pwd = await exec(c, ['pwd'], { cwd: 'deep/dir' });
      expect(pwd.stdout).toMatch(/\/deep\/dir\n$/);
    });

    it('kills a command at its timeout', async () => {
      const r = await exec(c, ['sleep', '30'], { timeoutMs: 300 });
      expect(r).toMatchObject({ running: false, timedOut: true, exitCode: null });
    });
  });

  describe('background processes', () => {
    const c = 'bg';
    beforeAll(async () => {
      await fx.createContainer(c);
    }, 60_000);

    it('returns at once, lists the process, and is followed by offset to its exit', async () => {
      const r = await exec(
        c,
        node(
          "let i=0;const t=setInterval(()=>{i++;console.log('line '+i);if(i===4){clearInterval(t);setTimeout(()=>{console.error('done');process.exit(2)},100)}},100)",
        ),
        { background: true },
      );
      expect(r).toMatchObject({ running: true, exitCode: null, processId: expect.stringMatching(/^proc_/) });
      const list = await call('GET', `/terminal/processes?container=${c}`);
      expect(list.body.processes.map((p: { id: string }) => p.id)).toContain(r.processId);
      const { text, last } = await follow(r.processId);
      expect(text).toBe('line 1\nline 2\nline 3\nline 4\ndone\n');
      expect(last).toMatchObject({ status: 'exited', running: false, exitCode: 2 });
      const history = await call('GET', `/terminal/history?container=${c}&limit=1`);
      expect(history.body.processes[0]).toMatchObject({ id: r.processId, exitCode: 2, status: 'exited' });
    });

    it('hands back a command that outlives wait with its output so far', async () => {
      const r = await exec(c, node("console.log('early');setTimeout(()=>console.log('late'),2000)"), { wait: 1000 });
      expect(r.running).toBe(true);
      expect('early\n'.startsWith(r.stdout)).toBe(true); // what it wrote so far (node may still be starting)
      expect((await follow(r.processId)).text).toBe('early\nlate\n');
      const quick = await exec(c, ['echo', 'fast'], { wait: 5000 });
      expect(quick).toMatchObject({ running: false, exitCode: 0, stdout: 'fast\n' });
    });

    it('pages long output by maxBytes and nextOffset, without gaps or repeats', async () => {
      // Eight bursts of 50 lines, 60 ms apart: the log holds several records whatever the runtime's chunking
      // (one record is never split, so a single burst could come back whole past maxBytes).
      const r = await exec(
        c,
        node(
          "let b=0;const t=setInterval(()=>{let s='';for(let i=0;i<50;i++)s+=String(b*50+i).padStart(4,'0')+'\\n';process.stdout.write(s);if(++b===8)clearInterval(t)},60)",
        ),
        { background: true },
      );
      const done = await eventually(
        () => output(r.processId),
        (p) => !p.running,
      );
      expect(done.exitCode).toBe(0);
      const first = await output(r.processId, 0, 1024);
      expect(first.truncated).toBe(true);
      expect(first.nextOffset).toBeLessThan(done.nextOffset);
      let pages = 0;
      let offset = 0;
      let text = '';
      for (let more = true; more; pages++) {
        const page = await output(r.processId, offset, 1024);
        text += page.records.map((x) => x.text).join('');
        expect(page.nextOffset).toBeGreaterThan(offset);
        offset = page.nextOffset;
        more = page.truncated;
      }
      expect(pages).toBeGreaterThan(1);
      expect(offset).toBe(done.nextOffset);
      expect(text).toBe(Array.from({ length: 400 }, (_, i) => `${String(i).padStart(4, '0')}\n`).join(''));
    });

    it('feeds stdin with process_input and closes it with end', async () => {
      const r = await exec(
        c,
        node(
          "process.stdin.on('data',d=>process.stdout.write('got:'+d));process.stdin.on('end',()=>console.log('eof'))",
        ),
        { background: true },
      );
      const input = await call('POST', `/terminal/processes/${r.processId}/input`, { text: 'ping\n' });
      expect(input.body).toEqual({ processId: r.processId, bytes: 5 });
      await eventually(
        () => output(r.processId),
        (p) => p.records.map((x) => x.text).join('') === 'got:ping\n',
      );
      await call('POST', `/terminal/processes/${r.processId}/input`, { text: 'pong\n', end: true });
      const { text, last } = await follow(r.processId);
      expect(text).toBe('got:ping\ngot:pong\neof\n');
      expect(last).toMatchObject({ status: 'exited', exitCode: 0 });
    });

    it('kills a process with process_kill; input to it is then refused', async () => {
      const r = await exec(c, ['sleep', '600'], { background: true });
      const killed = await call('POST', `/terminal/processes/${r.processId}/kill`, {});
      expect(killed.body).toMatchObject({ running: false, signalled: true });
      const after = await output(r.processId);
      expect(after).toMatchObject({ running: false, status: 'killed', exitCode: null });
      const list = await call('GET', `/terminal/processes?container=${c}`);
      expect(list.body.processes.map((p: { id: string }) => p.id)).not.toContain(r.processId);
      const refused = await call('POST', `/terminal/processes/${r.processId}/input`, { text: 'x' });
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('conflict');
    });
  });

  describe('terminals (PTY over Socket.IO)', () => {
    const c = 'pty';
    beforeAll(async () => {
      await fx.createContainer(c);
      await write(c, 'marker.txt', 'pty-marker-content\n');
    }, 60_000);

    it('runs the interactive shell in the workspace; input, output, close', async () => {
      const p = await TerminalProbe.connect(fx.baseUrl, fx.token);
      try {
        const opened = await p.client.open({ container: c, command: [PTY_SHELL[fx.name]], cols: 100, rows: 30 });
        const id = opened.terminal.id;
        expect(id).toMatch(/^term_/);
        await p.client.input(id, 'cat marker.txt\r');
        await p.waitFor(id, /pty-marker-content\r?\n/, 15_000);
        const mark = p.length(id);
        await p.client.input(id, `node -e "console.log('n='+6*7)"\r`);
        await p.waitFor(id, /n=42\r?\n/, 15_000, mark);
        const listed = (await call('GET', `/terminal/sessions?container=${c}`)).body.terminals;
        expect(listed.find((x: { id: string }) => x.id === id)).toMatchObject({ running: true, attached: 1 });
        const closed = await call('POST', `/terminal/sessions/${id}/close`);
        expect(closed.body.running).toBe(false);
        await p.waitExit(id);
      } finally {
        p.close();
      }
    });
  });

  describe('ports and previews', () => {
    const c = 'web';
    const port = 3000;
    beforeAll(async () => {
      await fx.createContainer(c);
    }, 60_000);

    it('announces a served port with its preview URL and serves it through the preview', async () => {
      const r = await exec(
        c,
        node(
          `require('http').createServer((q,s)=>s.end('served:'+q.url)).listen(${port},()=>console.log('listening'))`,
        ),
        { background: true },
      );
      expect(r.running).toBe(true);
      const ports = await eventually(
        () => call('GET', `/containers/${c}/ports`),
        (x) => x.body.ports?.some((p: { port: number }) => p.port === port),
      );
      expect(ports.body.ports).toContainEqual(
        expect.objectContaining({
          port,
          urls: expect.objectContaining({ path: expect.stringContaining(`/${port}/`) }),
        }),
      );
      const announced = await output(r.processId);
      expect(announced).toMatchObject({ running: true });
      expect((announced as unknown as { ports: { port: number; url: string }[] }).ports).toContainEqual({
        port,
        url: expect.stringContaining(`/${port}/`),
      });
      const open = await call('POST', `/containers/${c}/ports/${port}/preview`);
      expect(open.status).toBe(200);
      const link = new URL(open.body.url);
      const landed = await raw(fx.baseUrl, `${link.pathname}${link.search}`);
      expect(landed.status).toBe(303);
      const page = await raw(fx.baseUrl, `${link.pathname}hello?x=1`, {
        headers: { cookie: cookiePair(landed.headers['set-cookie']) },
      });
      expect(page).toMatchObject({ status: 200, body: 'served:/hello?x=1' });
      await call('POST', `/terminal/processes/${r.processId}/kill`, {});
    });

    it('answers port_closed for a port nothing listens on', async () => {
      const r = await call('POST', `/containers/${c}/ports/3999/preview`);
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('port_closed');
    });
  });

  describe('search and the index', () => {
    const c = 'find';
    beforeAll(async () => {
      await fx.createContainer(c);
      await write(c, 'src/retry.js', 'function computeBackoffDelay(attempt) {\n  return 2 ** attempt * 100;\n}\n');
      await write(c, 'docs/guide.md', '# Guide\n\n## Deploying\n\nTerminate TLS at the proxy.\n');
      await exec(
        c,
        node(
          "require('fs').writeFileSync('written-inside.js','function parseInvoiceTotals(lines) {\\n  return lines.length;\\n}\\n')",
        ),
      );
    }, 60_000);

    it('file_search finds text and names, including a file a command wrote', async () => {
      const byText = await eventually(
        () => call('POST', `${files(c)}/search`, { query: 'parseInvoiceTotals' }),
        (x) => x.body.matches?.length > 0,
      );
      expect(byText.body.matches).toEqual([
        expect.objectContaining({ path: 'written-inside.js', line: 1, text: expect.stringContaining('parseInvoice') }),
      ]);
      const byGlob = await call('POST', `${files(c)}/search`, { glob: '**/*.md' });
      expect(byGlob.body.matches).toEqual([{ path: 'docs/guide.md' }]);
    });

    it('rag_index and rag_search see the files written, by the API and by a command', async () => {
      const idx = await call('POST', '/rag/index', { container: c, wait: true });
      expect(idx.status).toBe(200);
      expect(idx.body, JSON.stringify(idx.body)).toMatchObject({ state: 'ready', files: 3 });
      const backoff = await call('POST', '/rag/search', { container: c, query: 'backoff delay for an attempt', k: 3 });
      expect(backoff.body.results[0]).toMatchObject({ path: 'src/retry.js' });
      const inside = await call('POST', '/rag/search', { container: c, query: 'parseInvoiceTotals', k: 3 });
      expect(inside.body.results[0]).toMatchObject({ path: 'written-inside.js' });
    });
  });

  describe('typed errors', () => {
    const c = 'errs';
    beforeAll(async () => {
      await fx.createContainer(c);
    }, 60_000);

    it('answers not_found for an unknown process on every process op', async () => {
      const answers = await Promise.all([
        call('GET', '/terminal/processes/proc_nope/output'),
        call('POST', '/terminal/processes/proc_nope/input', { text: 'x' }),
        call('POST', '/terminal/processes/proc_nope/kill', {}),
      ]);
      for (const r of answers) {
        expect(r.status).toBe(404);
        expect(r.body.error.code).toBe('not_found');
      }
    });

    it('answers a bad path with the same code on files and exec', async () => {
      const outside = [
        read(c, 'path=../outside.txt'),
        write(c, '../outside.txt', 'x'),
        call('GET', `${files(c)}?path=..`),
        call('DELETE', `${files(c)}?path=../x`),
        call('POST', '/terminal/execute', { container: c, command: ['pwd'], cwd: '../..' }),
      ];
      for (const r of await Promise.all(outside)) {
        expect(r.status, JSON.stringify(r.body)).toBe(400);
        expect(r.body.error.code).toBe('path_outside_workspace');
      }
      const nul = await read(c, 'path=a%00b');
      expect(nul.body.error.code).toBe('invalid_path');
    });

    it('answers not_found, not_a_file and not_a_directory as the workspace says', async () => {
      await write(c, 'plain.txt', 'x');
      expect((await read(c, 'path=missing.txt')).body.error.code).toBe('not_found');
      expect((await read(c, 'path=.')).body.error.code).toBe('not_a_file');
      expect((await call('GET', `${files(c)}?path=plain.txt`)).body.error.code).toBe('not_a_directory');
      expect(
        (await call('POST', '/terminal/execute', { container: 'no-such-container', command: ['true'] })).status,
      ).toBe(404);
    });
  });
}

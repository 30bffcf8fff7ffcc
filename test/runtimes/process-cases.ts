import { beforeAll, describe, expect, it } from 'vitest';
import { eventually, node, RUNTIME_TRAITS, type RuntimeApi } from './api.js';

/** Commands in the foreground and the background, and the process ops. */
export function processCases(api: RuntimeApi): void {
  const { call, exec, output, follow, write } = api;

  describe('exec in the foreground', () => {
    const c = 'fg';
    beforeAll(async () => {
      await api.fixture().createContainer(c);
    }, 60_000);

    it('returns stdout, stderr and the exit code', async () => {
      const v = await exec(c, ['node', '-v']);
      expect(v).toMatchObject({ running: false, exitCode: 0, stderr: '' });
      expect(v.stdout).toMatch(/^v\d+\.\d+\.\d+\n$/);
      const both = await exec(c, node("console.log('to out');console.error('to err');process.exit(3)"));
      const split = RUNTIME_TRAITS[api.fixture().name].separateStderr;
      expect(both).toMatchObject(
        split
          ? { exitCode: 3, stdout: 'to out\n', stderr: 'to err\n', running: false }
          : { exitCode: 3, stdout: 'to out\nto err\n', stderr: '', running: false },
      );
      // A runtime with one stream says so rather than pass off an empty stderr as "nothing on stderr".
      expect(both.stderrMerged).toBe(split ? undefined : true);
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
      await api.fixture().createContainer(c);
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
}

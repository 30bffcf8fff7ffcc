import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { heartbeat, startsBeating, stopsBeating, waitUntil } from '../helpers/procs.js';

let t: TestDaemon;
beforeAll(async () => {
  t = await startTestDaemon();
  await t.json('POST', '/api/v1/containers', { name: 'work' });
});
afterAll(() => t.stop());

const exec = (body: Record<string, unknown>) =>
  t.json('POST', '/api/v1/terminal/execute', { container: 'work', ...body });

/** Reads a process's output from `offset` until it stops running, the way a client polls. */
async function follow(id: string) {
  let offset = 0;
  let text = '';
  for (let i = 0; i < 200; i++) {
    const page = await t.json('GET', `/api/v1/terminal/processes/${id}/output?offset=${offset}`);
    text += page.body.records.map((r: { text: string }) => r.text).join('');
    offset = page.body.nextOffset;
    if (!page.body.running) return { text, last: page.body };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('process did not end');
}

describe('background processes over REST', () => {
  it('returns at once for a background command; output is followed by offset without gaps or repeats', async () => {
    const r = await exec({
      command: 'for i in 1 2 3 4 5; do echo line $i; sleep 0.1; done; echo done >&2',
      shell: true,
      background: true,
    });
    // Returned while the command still runs (it takes ~0.5 s): `running` says so, no clock needed.
    expect(r.body).toMatchObject({ running: true, exitCode: null, processId: expect.stringMatching(/^proc_/) });
    const list = await t.json('GET', '/api/v1/terminal/processes?container=work');
    expect(list.body.processes.map((p: { id: string }) => p.id)).toContain(r.body.processId);
    const { text, last } = await follow(r.body.processId);
    expect(text).toBe('line 1\nline 2\nline 3\nline 4\nline 5\ndone\n');
    expect(last).toMatchObject({ status: 'exited', exitCode: 0, dropped: false });
  });

  it('hands back a command that outlives wait, still running, with the output so far', async () => {
    const r = await exec({ command: 'echo early; sleep 0.5; echo late', shell: true, wait: 150 });
    expect(r.body).toMatchObject({ running: true, stdout: 'early\n' });
    const rest = await follow(r.body.processId);
    expect(rest.text).toBe('early\nlate\n');
    const quick = await exec({ command: ['echo', 'fast'], wait: 5000 });
    expect(quick.body).toMatchObject({ running: false, exitCode: 0, stdout: 'fast\n' });
  });

  it('feeds stdin to a background process and kills its whole group', async () => {
    const r = await exec({ command: ['cat'], background: true });
    const input = await t.json('POST', `/api/v1/terminal/processes/${r.body.processId}/input`, { text: 'ping\n' });
    expect(input.body).toEqual({ processId: r.body.processId, bytes: 5 });
    await waitUntil(() => false, 200);
    const out = await t.json('GET', `/api/v1/terminal/processes/${r.body.processId}/output`);
    expect(out.body.records.map((x: { text: string }) => x.text).join('')).toBe('ping\n');

    const tree = await exec({
      command: `(${heartbeat('beat-tree')}) & wait`,
      shell: true,
      background: true,
      wait: 300,
    });
    const beat = async () =>
      (await t.json('GET', '/api/v1/containers/work/files/content?path=beat-tree')).body.content as string | undefined;
    expect(await startsBeating(beat)).toBe(true);
    const killed = await t.json('POST', `/api/v1/terminal/processes/${tree.body.processId}/kill`, {
      signal: 'SIGKILL',
    });
    expect(killed.body).toMatchObject({ running: false, signalled: true });
    expect(await stopsBeating(beat)).toBe(true);
    const refused = await t.json('POST', `/api/v1/terminal/processes/${tree.body.processId}/input`, { text: 'x' });
    expect(refused.body.error.code).toBe('conflict');
    await t.json('POST', `/api/v1/terminal/processes/${r.body.processId}/kill`, {});
  });

  it('keeps a history of commands in SQLite, newest first', async () => {
    await exec({ command: ['true'] });
    await exec({ command: ['sh', '-c', 'exit 3'] });
    const h = await t.json('GET', '/api/v1/terminal/history?container=work&limit=2');
    expect(h.body.processes.map((p: { command: unknown; exitCode: number }) => [p.command, p.exitCode])).toEqual([
      [['sh', '-c', 'exit 3'], 3],
      [['true'], 0],
    ]);
  });

  it('answers not_found for an unknown process', async () => {
    expect((await t.json('GET', '/api/v1/terminal/processes/proc_nope/output')).status).toBe(404);
    expect((await t.json('POST', '/api/v1/terminal/processes/proc_nope/kill', {})).status).toBe(404);
  });
});

describe('GET /api/v1/terminal/stream', () => {
  it('streams output as Server-Sent Events, resumable by Last-Event-ID, then the exit', async () => {
    const r = await exec({
      command: 'echo a; sleep 0.3; echo b; sleep 0.3; echo c; exit 2',
      shell: true,
      background: true,
    });
    const id = r.body.processId;
    const res = await t.request('GET', `/api/v1/terminal/stream?processId=${id}`);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const text = await res.text();
    const outputs = [...text.matchAll(/event: output\n(?:id: (\d+)\n)?data: (.*)\n/g)].map(
      (m) => JSON.parse(m[2] as string).text,
    );
    expect(outputs.join('')).toBe('a\nb\nc\n');
    expect(text).toMatch(/event: exit\ndata: \{"status":"exited","exitCode":2,"signal":null\}/);
    const firstId = /id: (\d+)/.exec(text)?.[1] as string;
    const resumed = await t.request('GET', `/api/v1/terminal/stream?processId=${id}`, {
      headers: { 'last-event-id': firstId },
    });
    const again = [...(await resumed.text()).matchAll(/data: (\{"t".*)\n/g)].map(
      (m) => JSON.parse(m[1] as string).text,
    );
    expect(again.join('')).toBe('b\nc\n');
  });

  it('answers 404 JSON for an unknown process and 401 without a token', async () => {
    const missing = await t.request('GET', '/api/v1/terminal/stream?processId=proc_nope');
    expect(missing.status).toBe(404);
    expect((await t.request('GET', '/api/v1/terminal/stream?processId=x', { auth: false })).status).toBe(401);
  });
});

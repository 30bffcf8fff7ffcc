import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TerminalClient, TerminalError } from '../../src/cli/terminal-client.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { rawGet } from '../helpers/raw-http.js';
import { TerminalProbe } from '../helpers/terminal.js';

let t: TestDaemon;
let container: string;

beforeAll(async () => {
  t = await startTestDaemon();
  container = (await t.json('POST', '/api/v1/containers', { name: 'tty' })).body.id;
});
afterAll(async () => {
  await t?.stop();
});

describe('terminals over Socket.IO', () => {
  it('runs an interactive shell in the workspace, with the size it asked for and resize', async () => {
    const p = await TerminalProbe.connect(t.url, t.token);
    try {
      const opened = await p.client.open({ container, cols: 100, rows: 30 });
      const id = opened.terminal.id;
      expect(id).toMatch(/^term_/);
      await p.client.input(id, 'echo "sum=$((6*7))"; stty size; pwd\r');
      const text = await p.waitFor(id, /sum=42[\s\S]*30 100[\s\S]*\/ctr_/);
      expect(text).toContain('sum=42');
      await p.client.resize(id, 120, 40);
      const before = p.length(id);
      await p.client.input(id, 'stty size\r');
      await p.waitFor(id, /40 120/, 10_000, before);
      await p.client.input(id, 'exit 3\r');
      expect(await p.waitExit(id)).toBe(3);
    } finally {
      p.close();
    }
  });

  it('keeps the terminal across a dropped connection and replays exactly what was missed', async () => {
    const a = await TerminalProbe.connect(t.url, t.token);
    const { terminal } = await a.client.open({ container });
    // Type only once the shell prompts: input that arrives earlier is echoed twice on a loaded machine (by
    // the tty, then by readline), and the first echo with the first prompt would pass for the line's end.
    await a.waitFor(terminal.id, /[$#] $/);
    const typedAt = a.length(terminal.id);
    await a.client.input(terminal.id, 'export KEEP=kept-value; (sleep 0.4; echo "late-$((40+2))") &\r');
    // The echoed line, then the next prompt.
    await a.waitFor(terminal.id, /export KEEP[^\n]*\n[\s\S]*[$#] $/, 10_000, typedAt);
    const seen = a.offsets.get(terminal.id) ?? 0;
    a.close(); // the connection drops; the shell and its background job go on

    await new Promise((r) => setTimeout(r, 800));
    const b = await TerminalProbe.connect(t.url, t.token);
    try {
      const again = await b.client.attach(terminal.id, seen);
      expect(again.terminal.running).toBe(true);
      expect(again.data).toContain('late-42'); // produced while nobody was attached
      expect(again.data).not.toContain('export KEEP'); // nothing from before `seen` is repeated
      b.take(terminal.id, again);
      const mark = b.length(terminal.id);
      await b.client.input(terminal.id, 'echo "again:$KEEP"\r');
      await b.waitFor(terminal.id, /again:kept-value/, 10_000, mark);
      const listed = (await t.json('GET', `/api/v1/terminal/sessions?container=${container}`)).body.terminals;
      expect(listed.find((x: { id: string }) => x.id === terminal.id)).toMatchObject({ running: true, attached: 1 });
      const closed = await t.json('POST', `/api/v1/terminal/sessions/${terminal.id}/close`);
      expect(closed.status).toBe(200);
      expect(closed.body.running).toBe(false);
    } finally {
      b.close();
    }
  });

  it('refuses a destructive line typed at the shell, but not text typed into a program', async () => {
    const p = await TerminalProbe.connect(t.url, t.token);
    try {
      const opened = await p.client.open({ container });
      const id = opened.terminal.id;
      p.take(id, opened); // the prompt may come before the open is answered: it is then in the scrollback
      await p.waitFor(id, /[$#] $/);
      const refused = await p.client.input(id, 'rm -rf /\r').catch((e: TerminalError) => e);
      expect(refused).toBeInstanceOf(TerminalError);
      expect((refused as TerminalError).code).toBe('command_refused');
      let mark = p.length(id);
      await p.client.input(id, 'echo still-here\r');
      const after = await p.waitFor(id, /still-here\r?\n/, 10_000, mark);
      expect(after).not.toMatch(/rm -rf \/\s*echo/); // the refused line was erased, not run or kept
      // Inside `cat` the shell is not in the foreground: the same bytes are just data.
      await p.client.input(id, 'cat\r');
      await new Promise((r) => setTimeout(r, 300));
      mark = p.length(id);
      await p.client.input(id, 'rm -rf /\r');
      await p.waitFor(id, /rm -rf \/\r\n[\s\S]*rm -rf \//, 10_000, mark);
      await p.client.input(id, '\x04exit\r');
      await p.waitExit(id);
    } finally {
      p.close();
    }
  });

  it('ends the terminals of a container that is stopped or deleted', async () => {
    const other = (await t.json('POST', '/api/v1/containers', { name: 'tty-gone' })).body.id;
    const p = await TerminalProbe.connect(t.url, t.token);
    try {
      const first = await p.client.open({ container: other, command: ['sleep', '600'] });
      expect((await t.json('POST', `/api/v1/containers/${other}/stop`)).body.status).toBe('stopped');
      await p.waitExit(first.terminal.id);
      const second = await p.client.open({ container: other, command: ['sleep', '600'] });
      expect((await t.json('GET', `/api/v1/containers/${other}`)).body.status).toBe('ready');
      expect((await t.json('DELETE', `/api/v1/containers/${other}`)).status).toBe(200);
      await p.waitExit(second.terminal.id);
      const gone = await p.client.attach(second.terminal.id).catch((e: TerminalError) => e);
      expect((gone as TerminalError).code).toBe('not_found');
    } finally {
      p.close();
    }
  });

  it('answers bad input with typed errors', async () => {
    const p = await TerminalProbe.connect(t.url, t.token);
    try {
      const codes = await Promise.all([
        p.client.open({ container: 'no-such' }).catch((e: TerminalError) => e.code),
        p.client.open({ container, cols: 0 }).catch((e: TerminalError) => e.code),
        p.client.open({ container, command: ['no-such-program-here'] }).catch((e: TerminalError) => e.code),
        p.client.open({ container, cwd: '../..' }).catch((e: TerminalError) => e.code),
        p.client.attach('term_nope').catch((e: TerminalError) => e.code),
        p.client.input('term_nope', 'x').catch((e: TerminalError) => e.code),
      ]);
      expect(codes).toEqual([
        'not_found',
        'validation_failed',
        'command_not_found',
        'path_outside_workspace',
        'not_found',
        'not_found',
      ]);
    } finally {
      p.close();
    }
  });

  it('needs a valid token and an allowed origin', async () => {
    const noToken = await TerminalClient.connect(t.url, undefined, { reconnection: false }).catch((e) => e);
    expect(noToken).toMatchObject({ code: 'unauthorized' });
    const badToken = await TerminalClient.connect(t.url, 'wrong-token-wrong-token', { reconnection: false }).catch(
      (e) => e,
    );
    expect(badToken).toMatchObject({ code: 'unauthorized' });
    // A browser page elsewhere: the handshake itself is refused.
    const res = await fetch(`${t.url}/socket.io/?EIO=4&transport=polling`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(res.status).toBe(403);
    const rebinding = await rawGet(t.url, '/socket.io/?EIO=4&transport=polling', { host: 'evil.example' });
    expect(rebinding.status).toBe(403);
  });
});

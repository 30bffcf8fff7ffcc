import pty, { type IPty } from '@lydell/node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISCO_BIN, disco } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { childEnv } from '../helpers/env.js';

let t: TestDaemon;

beforeAll(async () => {
  t = await startTestDaemon();
  await t.json('POST', '/api/v1/containers', { name: 'sh' });
});
afterAll(async () => {
  await t?.stop();
});

/** `disco shell …` on a real pseudo-terminal, as a person at a terminal would run it. */
function runOnPty(args: string[], cols = 90, rows = 25, token = t.token) {
  const term: IPty = pty.spawn(process.execPath, [DISCO_BIN, 'shell', ...args], {
    cols,
    rows,
    env: childEnv({ DISCO_URL: t.url, DISCO_TOKEN: token }),
  });
  let out = '';
  term.onData((d) => {
    out += d;
  });
  const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
  const waitFor = async (pattern: RegExp, from = 0) => {
    const deadline = Date.now() + 15_000;
    while (!pattern.test(out.slice(from))) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${pattern} in ${JSON.stringify(out.slice(-400))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { term, exited, waitFor, length: () => out.length, text: () => out };
}

describe('disco shell on a real pseudo-terminal', () => {
  it('is interactive: raw keystrokes, the terminal size, SIGWINCH resizes, the exit code comes back', async () => {
    const s = runOnPty(['sh'], 90, 25);
    try {
      await s.waitFor(/[$#] $/);
      s.term.write('echo "p=$((6*7))"; stty size\r');
      await s.waitFor(/p=42[\s\S]*25 90/);
      s.term.resize(132, 43); // the kernel sends the CLI SIGWINCH; it forwards the new size
      await new Promise((r) => setTimeout(r, 300));
      const mark = s.length();
      s.term.write('stty size\r');
      await s.waitFor(/43 132/, mark);
      // Raw mode: Ctrl-C reaches the remote shell (it interrupts `sleep`), it does not kill the CLI.
      s.term.write('sleep 30\r');
      await new Promise((r) => setTimeout(r, 300));
      s.term.write('\x03');
      const afterInterrupt = s.length();
      s.term.write('echo alive\r');
      await s.waitFor(/alive/, afterInterrupt);
      s.term.write('exit 7\r');
      expect(await s.exited).toBe(7);
    } finally {
      s.term.kill();
    }
  });

  it('detaches with Ctrl-] and reattaches by id with the scrollback replayed', async () => {
    const s = runOnPty(['sh']);
    await s.waitFor(/\[disco: (term_[\w-]+);/);
    const id = /\[disco: (term_[\w-]+);/.exec(s.text())?.[1] as string;
    await s.waitFor(/[$#] $/);
    s.term.write('export MARK=before-detach; echo "$MARK"\r');
    await s.waitFor(/before-detach\r*\n/);
    s.term.write('\x1d');
    expect(await s.exited).toBe(0);
    expect(s.text()).toContain(`disco shell --attach ${id}`);
    const ls = await disco(['terminals', 'ls'], { DISCO_URL: t.url, DISCO_TOKEN: t.token });
    expect(ls.stdout).toMatch(/^ID\s+CONTAINER\s+STATE/);
    expect(ls.stdout).toMatch(new RegExp(`${id}\\s+sh\\s+detached`));

    const again = runOnPty(['--attach', id]);
    try {
      await again.waitFor(/before-detach/); // the scrollback
      const mark = again.length();
      again.term.write('echo "still:$MARK"\r');
      await again.waitFor(/still:before-detach/, mark);
      again.term.write('exit\r');
      expect(await again.exited).toBe(0);
    } finally {
      again.term.kill();
    }
  });

  it('closes a detached terminal with `disco terminals close`, ending what runs in it', async () => {
    const env = { DISCO_URL: t.url, DISCO_TOKEN: t.token };
    const s = runOnPty(['sh']);
    await s.waitFor(/\[disco: (term_[\w-]+);/);
    const id = /\[disco: (term_[\w-]+);/.exec(s.text())?.[1] as string;
    await s.waitFor(/[$#] $/);
    s.term.write('sleep 300\r');
    s.term.write('\x1d');
    expect(await s.exited).toBe(0);
    expect((await disco(['terminals', 'ls'], env)).stdout).toMatch(new RegExp(`${id}\\s+sh\\s+detached`));

    const closed = await disco(['terminals', 'close', id], env);
    expect(closed).toEqual({ code: 0, stdout: `closed ${id}\n`, stderr: '' });
    const listed = JSON.parse((await disco(['terminals', 'ls', '--json'], env)).stdout);
    expect(listed.terminals.find((x: { id: string }) => x.id === id)).toMatchObject({ running: false, attached: 0 });
    expect((await disco(['terminals', 'ls'], env)).stdout).toMatch(new RegExp(`${id}\\s+sh\\s+exited`));
    // Closing again answers the terminal as it is (idempotent), as JSON with --json.
    const again = await disco(['terminals', 'close', id, '--json'], env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ id, running: false });
    const unknown = await disco(['terminals', 'close', 'term_nope', '--json'], env);
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stderr).error).toMatchObject({ code: 'not_found' });
  });

  it('reports a missing container and a bad token as errors', async () => {
    const missing = runOnPty(['no-such-container']);
    expect(await missing.exited).toBe(1);
    expect(missing.text()).toMatch(/not found/i);
    const denied = runOnPty(['sh'], 80, 24, 'not-the-token-at-all');
    expect(await denied.exited).toBe(1);
    expect(denied.text()).toMatch(/cannot open a terminal: invalid bearer token|bearer token/i);
  });
});

import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import pty from '@lydell/node-pty';
import { afterEach, describe, expect, it } from 'vitest';
import { DISCO_BIN } from '../helpers/cli.js';
import { tempDir } from '../helpers/daemon.js';
import { childEnv } from '../helpers/env.js';

const homes: string[] = [];
afterEach(async () => {
  for (const h of homes.splice(0)) await rm(h, { recursive: true, force: true });
});

async function until(read: () => string, pattern: RegExp, ms = 15_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = pattern.exec(read());
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`no ${pattern} in:\n${read()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('disco serve start-up output', () => {
  it('on a terminal: says how to reach it and logs one human line per event', async () => {
    const home = await tempDir('disco-e2e-serve-tty-');
    homes.push(home);
    const term = pty.spawn(process.execPath, [DISCO_BIN, 'serve', '--port', '0', '--home', home], {
      env: childEnv(),
      cols: 200,
      rows: 50,
    });
    let out = '';
    term.onData((d) => {
      out += d;
    });
    const exited = new Promise((r) => term.onExit(r));
    try {
      const [, url] = await until(() => out, /Disco listening on (\S+) /);
      expect(out).toContain(`To use it from another shell: export DISCO_URL=${url} DISCO_HOME=${home}`);
      await until(() => out, /\d\d:\d\d:\d\d INFO {2}disco listening /);
      expect(out).not.toContain('{"level"');
    } finally {
      term.kill('SIGTERM');
      await exited;
    }
  });

  it('with --quiet logs only warnings and errors (JSON when not a terminal)', async () => {
    const home = await tempDir('disco-e2e-serve-quiet-');
    homes.push(home);
    const child = spawn(process.execPath, [DISCO_BIN, 'serve', '--port', '0', '--home', home, '--quiet'], {
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c;
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c;
    });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      const [, url] = await until(() => stderr, /Disco listening on (\S+) /);
      expect((await fetch(`${url}/health`)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 300));
      expect(stdout).not.toContain('"level":"info"');
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});

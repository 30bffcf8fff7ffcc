import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import { DISCO_BIN, disco, type ServeProcess, spawnServe } from '../helpers/cli.js';
import { tempDir } from '../helpers/daemon.js';
import { childEnv } from '../helpers/env.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

const hasBwrap = requireSystem('bubblewrap', hasCommand('bwrap', ['--version']));

// `disco serve`, `disco mcp` (stdio) and `disco worker` on one $DISCO_HOME, each with its own view of the
// bootstrap token: none of them may revoke, rotate or replace the daemon's.

const ENV_TOKEN = 'shared-home-env-token-0123456789';
const OTHER_TOKEN = 'shared-home-other-token-0123456789';
const FILE_TOKEN = 'shared-home-file-token-0123456789';

type DaemonSource = 'env' | 'file';
/** What a side process (stdio server, worker) is started with: no token, the daemon's, or another one. */
type SideToken = 'none' | 'same' | 'other';

let serve: ServeProcess | undefined;
afterEach(() => {
  serve?.child.kill('SIGKILL');
  serve = undefined;
});

const status = async (url: string, token: string) =>
  (await fetch(`${url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status;

const sideEnv = (home: string, side: SideToken, daemonToken: string) =>
  childEnv({
    DISCO_HOME: home,
    DISCO_LOG_LEVEL: 'warn',
    DISCO_ADMIN_TOKEN: side === 'none' ? undefined : side === 'same' ? daemonToken : OTHER_TOKEN,
  });

/** Starts `disco mcp` as an editor would, calls a tool over stdio through the SDK client, and closes it. */
async function runStdioServer(home: string, side: SideToken, daemonToken: string): Promise<void> {
  const client = new Client({ name: 'disco-shared-home-test', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [DISCO_BIN, 'mcp'],
      env: sideEnv(home, side, daemonToken),
      stderr: 'pipe',
    }),
  );
  try {
    const listed = await client.callTool({ name: 'container_list', arguments: {} });
    expect(listed.isError ?? false).toBe(false);
  } finally {
    await client.close();
  }
}

/**
 * Runs `fn` with the daemon's run record out of sight, so a `disco mcp` started meanwhile opens the home
 * itself (as one started before the daemon does) instead of relaying to the daemon; puts it back after.
 */
async function withoutRunRecord(home: string, fn: () => Promise<void>): Promise<void> {
  const dir = path.join(home, 'run');
  const saved = await Promise.all(
    (await readdir(dir)).map(async (name) => ({ name, text: await readFile(path.join(dir, name), 'utf8') })),
  );
  await Promise.all(saved.map(({ name }) => rm(path.join(dir, name))));
  try {
    await fn();
  } finally {
    for (const { name, text } of saved) await writeFile(path.join(dir, name), text, { mode: 0o600 });
  }
}

async function runWorkerOnce(home: string, side: SideToken, daemonToken: string): Promise<void> {
  const env = sideEnv(home, side, daemonToken);
  const res = await disco(['worker', '--once', '--json', '--home', home], env);
  expect(res.code, res.stderr).toBe(0);
}

async function startDaemon(home: string, source: DaemonSource, extraEnv: Record<string, string> = {}) {
  serve = await spawnServe(home, {
    DISCO_LOG_LEVEL: 'info',
    ...(source === 'env' ? { DISCO_ADMIN_TOKEN: ENV_TOKEN } : {}),
    ...extraEnv,
  });
  const token = source === 'env' ? ENV_TOKEN : (await readFile(path.join(home, 'admin-token'), 'utf8')).trim();
  expect(await status(serve.url, token)).toBe(200);
  return { url: serve.url, token };
}

const SIDES: SideToken[] = ['none', 'same', 'other'];

describe('a daemon, a stdio MCP server and a worker on one home', () => {
  describe.each([
    ['env', true],
    ['env', false],
    ['file', true],
    ['file', false],
  ] as const)('daemon token from %s, token file present before start: %s', (source, filePresent) => {
    it('keeps the daemon’s bootstrap token working whatever tokens the stdio server and the worker are given', async () => {
      const home = await tempDir('disco-shared-home-');
      try {
        if (filePresent) await writeFile(path.join(home, 'admin-token'), `${FILE_TOKEN}\n`, { mode: 0o600 });
        const daemon = await startDaemon(home, source);
        if (source === 'file' && filePresent) expect(daemon.token).toBe(FILE_TOKEN);
        for (const stdio of SIDES) {
          for (const worker of SIDES) {
            const combo = `stdio ${stdio}, worker ${worker}`;
            // Side by side, as an editor's stdio server and a worker run beside the daemon.
            await Promise.all([runStdioServer(home, stdio, daemon.token), runWorkerOnce(home, worker, daemon.token)]);
            expect(await status(daemon.url, daemon.token), `after ${combo}`).toBe(200);
          }
          // Beside the daemon `disco mcp` relays to it; one that opens the home itself must not touch the token either.
          await withoutRunRecord(home, () => runStdioServer(home, stdio, daemon.token));
          expect(await status(daemon.url, daemon.token), `after an in-process stdio ${stdio}`).toBe(200);
        }
        // Neither side process replaced the daemon's token file, nor wrote one the daemon did not.
        const file = await readFile(path.join(home, 'admin-token'), 'utf8').catch(() => undefined);
        if (filePresent) expect(file?.trim()).toBe(FILE_TOKEN);
        else if (source === 'env') expect(file).toBeUndefined();
        else expect(file?.trim()).toBe(daemon.token);
      } finally {
        serve?.child.kill('SIGKILL');
        await rm(home, { recursive: true, force: true });
      }
    }, 180_000);
  });

  it.runIf(hasBwrap)(
    'keeps the daemon’s sandboxes starting after a stdio server and a worker have come and gone',
    async () => {
      const home = await tempDir('disco-shared-home-');
      try {
        const daemon = await startDaemon(home, 'env', { DISCO_SANDBOX: 'bwrap' });
        const env = childEnv({ DISCO_URL: daemon.url, DISCO_HOME: home, DISCO_ADMIN_TOKEN: daemon.token });
        expect((await disco(['containers', 'create', 'box'], env)).code).toBe(0);
        expect((await disco(['exec', 'box', '--', 'echo', 'first'], env)).stdout).toBe('first\n');
        // Each side process sets up container sandboxes on this home too, and shuts them down as it exits
        // (a `disco mcp` that opens the home itself: beside a daemon it finds, it relays and sets up none).
        await runStdioServer(home, 'none', daemon.token);
        await withoutRunRecord(home, () => runStdioServer(home, 'none', daemon.token));
        await runWorkerOnce(home, 'none', daemon.token);
        // The daemon starts the container's sandbox again: what it mounts in every sandbox must still be there.
        expect((await disco(['containers', 'stop', 'box'], env)).code).toBe(0);
        const again = await disco(['exec', 'box', '--', 'echo', 'again'], env);
        expect(again.stderr).toBe('');
        expect(again.stdout).toBe('again\n');
      } finally {
        serve?.child.kill('SIGKILL');
        await rm(home, { recursive: true, force: true });
      }
    },
    60_000,
  );

  it('keeps both tokens of two daemons on one home, one given DISCO_ADMIN_TOKEN and one using the file', async () => {
    const home = await tempDir('disco-shared-home-');
    let second: ServeProcess | undefined;
    try {
      const first = await startDaemon(home, 'env');
      second = await spawnServe(home, { DISCO_LOG_LEVEL: 'info' });
      const fileToken = (await readFile(path.join(home, 'admin-token'), 'utf8')).trim();
      for (const url of [first.url, second.url]) {
        expect(await status(url, first.token)).toBe(200);
        expect(await status(url, fileToken)).toBe(200);
      }
    } finally {
      second?.child.kill('SIGKILL');
      serve?.child.kill('SIGKILL');
      await rm(home, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses the token the operator rotated away from, and side processes do not bring it back', async () => {
    const home = await tempDir('disco-shared-home-');
    try {
      const first = await startDaemon(home, 'env');
      serve?.child.kill('SIGKILL');
      // The operator changes DISCO_ADMIN_TOKEN for the daemon: the old one is shut out.
      serve = await spawnServe(home, { DISCO_LOG_LEVEL: 'info', DISCO_ADMIN_TOKEN: OTHER_TOKEN });
      const url = serve.url;
      expect(await status(url, OTHER_TOKEN)).toBe(200);
      expect(await status(url, first.token)).toBe(401);
      // A stdio server or a worker still started with the old token neither revives it nor revokes the new one.
      await runStdioServer(home, 'same', first.token);
      await runWorkerOnce(home, 'same', first.token);
      await runStdioServer(home, 'none', first.token);
      expect(await status(url, OTHER_TOKEN)).toBe(200);
      expect(await status(url, first.token)).toBe(401);
    } finally {
      serve?.child.kill('SIGKILL');
      await rm(home, { recursive: true, force: true });
    }
  }, 120_000);
});

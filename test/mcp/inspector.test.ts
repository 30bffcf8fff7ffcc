import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISCO_BIN } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon, tempDir } from '../helpers/daemon.js';

const INSPECTOR = fileURLToPath(new URL('../../node_modules/.bin/mcp-inspector', import.meta.url));

let t: TestDaemon;
let home: string;
beforeAll(async () => {
  t = await startTestDaemon();
  home = await tempDir('disco-inspector-');
});
afterAll(async () => {
  await t.stop();
  await rm(home, { recursive: true, force: true });
});

/** Runs the MCP Inspector's CLI mode (a client no one here wrote) and parses its JSON answer. */
function inspector(args: string[], env: Record<string, string> = {}): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(
      INSPECTOR,
      ['--cli', ...args],
      { timeout: 60_000, env: { PATH: process.env.PATH ?? '', HOME: home, ...env } },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`${err.message}\n${stdout}\n${stderr}`));
        resolve(JSON.parse(stdout));
      },
    );
  });
}

const targets = () =>
  [
    ['/mcp', [`${t.url}/mcp`, '--transport', 'http', '--header', `Authorization: Bearer ${t.token}`], {}],
    ['disco mcp (stdio)', [process.execPath, DISCO_BIN, 'mcp'], { DISCO_HOME: home }],
  ] as const;

describe('MCP Inspector CLI', () => {
  it('lists the tools over both transports', { timeout: 120_000 }, async () => {
    for (const [name, target, env] of targets()) {
      const out = (await inspector([...target, '--method', 'tools/list'], env)) as { tools: { name: string }[] };
      expect(
        out.tools.map((x) => x.name),
        name,
      ).toEqual(expect.arrayContaining(['exec', 'file_read', 'search', 'fetch']));
    }
  });

  it('calls a tool over both transports', { timeout: 120_000 }, async () => {
    for (const [name, target, env] of targets()) {
      const out = (await inspector(
        [
          ...target,
          '--method',
          'tools/call',
          '--tool-name',
          'container_create',
          '--tool-arg',
          'name=from-inspector',
          '--tool-arg',
          'template=node',
        ],
        env,
      )) as { structuredContent: { name: string; template: string } };
      expect(out.structuredContent, name).toMatchObject({ name: 'from-inspector', template: 'node' });
    }
  });
});

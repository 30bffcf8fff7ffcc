import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disco, type ServeProcess, spawnServe } from '../helpers/cli.js';
import { tempDir } from '../helpers/daemon.js';

let home: string;
let serve: ServeProcess;
let env: Record<string, string>;

beforeAll(async () => {
  home = await tempDir('disco-e2e-says-');
  serve = await spawnServe(home);
  env = { DISCO_URL: serve.url, DISCO_HOME: home };
});
afterAll(async () => {
  await serve.stop();
  await rm(home, { recursive: true, force: true });
});

describe('the CLI says what it does and with what', () => {
  it('lists ops with what they do, and shows one op’s input schema', async () => {
    const ops = await disco(['ops'], env);
    expect(ops.code).toBe(0);
    expect(ops.stdout).toMatch(/^NAME\s+METHOD\s+PATH\s+DESCRIPTION/);
    expect(ops.stdout).toMatch(/exec\s+POST\s+\/api\/v1\/terminal\/execute\s+Use to run a command in a container/);
    const exec = await disco(['ops', 'exec'], env);
    expect(exec.code, exec.stderr).toBe(0);
    expect(exec.stdout).toMatch(/^exec — Run command\nPOST \/api\/v1\/terminal\/execute {2}\(scope exec\)/);
    expect(exec.stdout).toMatch(/^container\s+string\s+Container id/m);
    expect(exec.stdout).toMatch(/^timeoutMs\?\s+integer/m);
    expect(exec.stdout).toMatch(/^shell\?\s+boolean\s+false/m);
    const json = JSON.parse((await disco(['ops', 'exec', '--json'], env)).stdout);
    expect(json.input.required).toEqual(expect.arrayContaining(['container', 'command']));
    expect(json.input.properties.command.anyOf).toHaveLength(2);
    const unknown = await disco(['ops', 'no_such_op'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown operation 'no_such_op'/);
  });

  it('names the token source when the daemon refuses the token', async () => {
    const fromEnv = await disco(['containers', 'ls'], { ...env, DISCO_TOKEN: 'disco_pat_not-a-real-token' });
    expect(fromEnv.code).toBe(1);
    expect(fromEnv.stderr).toMatch(/\(sent DISCO_TOKEN from the environment\) \[unauthorized\]/);
    const admin = await disco(['containers', 'ls'], {
      DISCO_URL: serve.url,
      DISCO_HOME: await tempDir(),
      DISCO_ADMIN_TOKEN: 'wrong-admin-token-wrong-admin-token',
    });
    expect(admin.stderr).toMatch(/sent the admin token from DISCO_ADMIN_TOKEN/);
    const none = await disco(['containers', 'ls'], { DISCO_URL: serve.url, DISCO_HOME: await tempDir() });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/sent no token \(set DISCO_TOKEN or run `disco login`\)/);
    // The local daemon's token file, by its path.
    const ok = await disco(['containers', 'ls'], env);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('`disco mcp` says on stderr where its state lives', async () => {
    const mcpHome = await tempDir('disco-mcp-home-');
    try {
      // Its stdin closes at once: it starts, says where, and ends.
      const r = await disco(['mcp', '--home', mcpHome], {});
      expect(r.stderr).toContain(`disco mcp: state in ${mcpHome}`);
      expect(r.stdout).toBe('');
      const bare = await disco(['mcp'], { HOME: mcpHome });
      expect(bare.stderr).toContain(`state in ${mcpHome}/.disco`);
      expect(bare.stderr).toContain('pass --home <dir> or set DISCO_HOME');
    } finally {
      await rm(mcpHome, { recursive: true, force: true });
    }
  });
});

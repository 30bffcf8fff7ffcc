import type { ChildProcess } from 'node:child_process';
import { access, readFile, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDaemonRecord } from '../../src/shared/daemon-record.js';
import { DISCO_BIN, disco, type ServeProcess, spawnServe } from '../helpers/cli.js';
import { startTestDaemon, type TestDaemon, tempDir } from '../helpers/daemon.js';
import { childEnv } from '../helpers/env.js';
import { heartbeat, startsBeating, stopsBeating, waitUntil } from '../helpers/procs.js';
import { hasCommand, requireSystem } from '../helpers/system.js';

const hasBwrap = requireSystem('bubblewrap', hasCommand('bwrap', ['--version']));

// `disco mcp` (stdio, as an editor starts it) beside a running daemon on the same home relays to that
// daemon instead of opening a second core: one sandbox and one process table per container.

interface StdioSide {
  client: Client;
  stderr: () => string;
  child: () => ChildProcess | undefined;
}

async function connectStdio(home: string): Promise<StdioSide> {
  const client = new Client({ name: 'disco-relay-test', version: '1.0.0' });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [DISCO_BIN, 'mcp'],
    env: childEnv({ DISCO_HOME: home }),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  await client.connect(transport);
  const child = () => (transport as unknown as { _process?: ChildProcess })._process;
  return { client, stderr: () => stderr, child };
}

const structured = (r: unknown) => {
  const result = r as CallToolResult;
  expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
  // biome-ignore lint/suspicious/noExplicitAny: results are asserted field by field
  return result.structuredContent as any;
};

describe('disco mcp beside a running daemon on the same home', () => {
  let t: TestDaemon;
  let side: StdioSide;
  let restSleep: string;
  const call = async (name: string, args: Record<string, unknown>) =>
    structured(await side.client.callTool({ name, arguments: args }));
  const restProcesses = async () => {
    const r = await t.json('GET', '/api/v1/terminal/processes?container=web');
    expect(r.status).toBe(200);
    return r.body.processes as { id: string; status: string; command: string[] | string }[];
  };

  beforeAll(async () => {
    t = await startTestDaemon(hasBwrap ? { DISCO_SANDBOX: 'bwrap' } : {});
    expect((await t.json('POST', '/api/v1/containers', { name: 'web' })).status).toBe(201);
    const started = await t.json('POST', '/api/v1/terminal/execute', {
      container: 'web',
      command: ['sh', '-c', 'echo from-rest; sleep 300'],
      background: true,
    });
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    restSleep = started.body.processId;
    side = await connectStdio(t.home);
  }, 60_000);
  afterAll(async () => {
    await side?.client.close();
    await t?.stop();
  });

  it('says on stderr that it relays to the daemon', async () => {
    await waitUntil(() => side.stderr().includes('disco mcp:'));
    expect(side.stderr()).toContain(`disco mcp: relaying to the disco daemon at ${t.url}`);
    expect(side.stderr()).not.toContain('in-process');
  });

  it.runIf(hasBwrap)('runs its commands in the daemon’s sandbox of the container, beside the REST ones', async () => {
    const ps = await call('exec', { container: 'web', command: ['ps', '-eo', 'pid,args'] });
    expect(ps.stdout).toContain('sleep 300');
  });

  it('sees, reads and kills a background process started over REST', async () => {
    const listed = await call('process_list', { container: 'web' });
    expect(listed.processes.map((p: { id: string }) => p.id)).toContain(restSleep);
    const out = await call('process_output', { id: restSleep });
    expect(JSON.stringify(out.records)).toContain('from-rest');
    const killed = await call('process_kill', { id: restSleep });
    expect(killed).toBeTruthy();
    // The daemon's own record of it ends: the kill reached the daemon's process, not a copy of its row.
    let running = true;
    for (let i = 0; i < 50 && running; i++) {
      await new Promise((r) => setTimeout(r, 100));
      running = (await t.json('GET', `/api/v1/terminal/processes/${restSleep}/output`)).body.running;
    }
    expect(running).toBe(false);
    expect((await restProcesses()).map((p) => p.id)).not.toContain(restSleep);
  });

  it('runs a command whose process the daemon lists over REST', async () => {
    const started = await call('exec', {
      container: 'web',
      command: ['sh', '-c', 'sleep 200'],
      background: true,
    });
    const over = (await restProcesses()).find((p) => p.id === started.processId);
    expect(over?.status).toBe('running');
    // The daemon reads its output and kills it: it is the daemon's process, not another core's.
    const out = await t.json('GET', `/api/v1/terminal/processes/${started.processId}/output`);
    expect(out.status, JSON.stringify(out.body)).toBe(200);
    if (hasBwrap) {
      const ps = await t.json('POST', '/api/v1/terminal/execute', { container: 'web', command: ['ps', '-eo', 'args'] });
      expect(ps.body.stdout).toContain('sleep 200');
    }
    const killed = await t.json('POST', `/api/v1/terminal/processes/${started.processId}/kill`, {});
    expect(killed.status, JSON.stringify(killed.body)).toBe(200);
  });

  it('leaves a background command running in the daemon when the editor closes its stdio server', async () => {
    const other = await connectStdio(t.home);
    const started = structured(
      await other.client.callTool({
        name: 'exec',
        arguments: { container: 'web', command: ['sh', '-c', 'sleep 250'], background: true },
      }),
    );
    await other.client.close();
    await new Promise((r) => setTimeout(r, 1000));
    const p = (await restProcesses()).find((x) => x.id === started.processId);
    expect(p?.status).toBe('running');
    await t.json('POST', `/api/v1/terminal/processes/${started.processId}/kill`, {});
  });

  it('passes progress notifications through, and cancellation kills the command', async () => {
    const progress: number[] = [];
    const r = structured(
      await side.client.callTool(
        { name: 'exec', arguments: { container: 'web', command: ['sleep', '1.3'] } },
        undefined,
        {
          onprogress: (p) => progress.push(p.progress),
          timeout: 20_000,
        },
      ),
    );
    expect(r.exitCode).toBe(0);
    expect(progress.length).toBeGreaterThanOrEqual(1);

    const controller = new AbortController();
    const pending = side.client
      .callTool({ name: 'exec', arguments: { container: 'web', command: heartbeat('beat'), shell: true } }, undefined, {
        signal: controller.signal,
      })
      .catch((e: Error) => e);
    const id = (await t.json('GET', '/api/v1/containers/web')).body.id as string;
    const beat = () => readFile(path.join(t.home, 'containers', id, 'beat'), 'utf8').catch(() => undefined);
    expect(await startsBeating(beat)).toBe(true);
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    // The daemon got notifications/cancelled through the relay and killed the command.
    expect(await stopsBeating(beat)).toBe(true);
  }, 30_000);
});

describe('disco mcp when the daemon goes away', () => {
  let home: string;
  let serve: ServeProcess | undefined;
  beforeAll(async () => {
    home = await tempDir('disco-relay-gone-');
  });
  afterAll(async () => {
    serve?.child.kill('SIGKILL');
    await rm(home, { recursive: true, force: true });
  });

  it.each(['SIGTERM', 'SIGKILL'] as const)(
    'says so and exits non-zero when the daemon gets %s',
    async (signal) => {
      serve = await spawnServe(home, { DISCO_LOG_LEVEL: 'info' });
      const side = await connectStdio(home);
      expect(await waitUntil(() => side.stderr().includes('relaying to the disco daemon'))).toBe(true);
      structured(await side.client.callTool({ name: 'container_list', arguments: {} }));
      const child = side.child();
      expect(child).toBeDefined();
      const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
      serve.child.kill(signal);
      expect(await exited).toBe(1);
      expect(await waitUntil(() => /disco mcp: the disco daemon at .* went away/.test(side.stderr()))).toBe(true);
      await side.client.close();
      // With no daemon left, the next `disco mcp` runs in-process, as before.
      const again = await connectStdio(home);
      try {
        expect(await waitUntil(() => again.stderr().includes('served in-process'))).toBe(true);
        structured(await again.client.callTool({ name: 'container_list', arguments: {} }));
      } finally {
        await again.client.close();
      }
    },
    60_000,
  );
});

describe('disco mcp and a daemon that does not answer', () => {
  it('exits 1 within its probe timeout, opening nothing on the home, rather than hang or split the sandboxes', async () => {
    const home = await tempDir('disco-relay-mute-');
    const held: Socket[] = [];
    // Accepts connections and never answers: a daemon stuck with its pid alive (this process's).
    const mute = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = mute.address() as { port: number };
      await writeDaemonRecord(home, {
        pid: process.pid,
        url: `http://127.0.0.1:${port}`,
        credential: 'disco_local_not-checked-by-a-mute-daemon',
        startedAt: new Date().toISOString(),
      });
      const started = Date.now();
      const r = await disco(['mcp', '--home', home], {});
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('does not answer');
      expect(r.stdout).toBe('');
      expect(Date.now() - started).toBeLessThan(20_000);
      await expect(access(path.join(home, 'disco.db'))).rejects.toThrow();
    } finally {
      for (const socket of held) socket.destroy();
      mute.close();
      await rm(home, { recursive: true, force: true });
    }
  }, 30_000);
});

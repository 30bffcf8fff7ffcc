import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TerminalError } from '../../src/cli/terminal-client.js';
import { OPS } from '../../src/daemon/ops/index.js';
import type { Op } from '../../src/daemon/ops/op.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { TerminalProbe } from '../helpers/terminal.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
type Json = any;
const PASSWORD = 'ownership-password';

describe('ownership: a user sees and touches only their own', () => {
  let t: TestDaemon;
  const tokens: Record<string, string> = {};
  let aliceContainer = '';
  let aliceProcess = '';
  let aliceTerminal = '';
  let aliceSocket: TerminalProbe | undefined;

  const as = async (who: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${t.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${tokens[who]}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as Json };
  };

  beforeAll(async () => {
    t = await startTestDaemon();
    for (const name of ['alice', 'bob']) {
      expect((await t.json('POST', '/api/v1/users', { name, password: PASSWORD })).status).toBe(201);
      const login = await t.request('POST', '/api/v1/auth/login', {
        auth: false,
        body: { username: name, password: PASSWORD },
      });
      tokens[name] = ((await login.json()) as Json).accessToken;
    }
    const c = await as('alice', 'POST', '/api/v1/containers', { name: 'private' });
    aliceContainer = c.body.id;
    await as('alice', 'PUT', `/api/v1/containers/${aliceContainer}/files/content`, {
      path: 'a.txt',
      content: 'alice only: zanzibar',
    });
    const proc = await as('alice', 'POST', '/api/v1/terminal/execute', {
      container: aliceContainer,
      command: ['sleep', '600'],
      background: true,
    });
    aliceProcess = proc.body.processId;
    aliceSocket = await TerminalProbe.connect(t.url, tokens.alice as string);
    aliceTerminal = (await aliceSocket.client.open({ container: aliceContainer })).terminal.id;
  });
  afterAll(async () => {
    aliceSocket?.close();
    await t.stop();
  });

  it("answers 404 (never 403) for another user's container, by id or name, on every verb", async () => {
    const id = aliceContainer;
    const attempts: Array<[string, string, unknown?]> = [
      ['GET', `/api/v1/containers/${id}`],
      ['GET', '/api/v1/containers/private'],
      ['GET', `/api/v1/containers/${id}/files/content?path=a.txt`],
      ['PUT', `/api/v1/containers/${id}/files/content`, { path: 'b.txt', content: 'x' }],
      ['POST', '/api/v1/terminal/execute', { container: id, command: ['true'] }],
      ['GET', `/api/v1/terminal/processes?container=${id}`],
      ['GET', `/api/v1/terminal/history?container=${id}`],
      ['POST', `/api/v1/containers/${id}/git/clone`, { url: 'https://example.com/x.git' }],
      ['POST', `/api/v1/containers/${id}/stop`, {}],
      ['DELETE', `/api/v1/containers/${id}`],
    ];
    for (const [method, path, body] of attempts) {
      const res = await as('bob', method, path, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe('not_found');
      // The container was not found (not the route): the op ran its lookup and found nothing of Bob's.
      expect(res.body.error.message, `${method} ${path}`).toMatch(/^container '/);
    }
    expect((await as('bob', 'GET', '/api/v1/containers')).body.containers).toEqual([]);
    // Alice's container is untouched.
    const file = await as('alice', 'GET', `/api/v1/containers/${id}/files/content?path=a.txt`);
    expect(file.body.content).toBe('alice only: zanzibar');
  });

  it("answers 404 for every op that reaches another user's container, process or terminal (from the registry)", async () => {
    const c = `/api/v1/containers/${aliceContainer}`;
    const p = `/api/v1/terminal/processes/${aliceProcess}`;
    /** A valid call of each op that names something owned: input validation passes, the lookup must not. */
    const calls: Record<string, [string, string, unknown?]> = {
      container_get: ['GET', c],
      container_delete: ['DELETE', c],
      container_update: ['PATCH', c, { pinned: true }],
      container_stop: ['POST', `${c}/stop`, {}],
      file_list: ['GET', `${c}/files`],
      file_read: ['GET', `${c}/files/content?path=a.txt`],
      file_write: ['PUT', `${c}/files/content`, { path: 'b.txt', content: 'x' }],
      file_delete: ['DELETE', `${c}/files?path=a.txt`],
      file_move: ['POST', `${c}/files/move`, { from: 'a.txt', to: 'b.txt' }],
      file_search: ['POST', `${c}/files/search`, { query: 'zanzibar' }],
      file_pack: ['GET', `${c}/files/pack`],
      file_unpack: ['POST', `${c}/files/unpack`, { archive: '' }],
      exec: ['POST', '/api/v1/terminal/execute', { container: aliceContainer, command: ['true'] }],
      process_list: ['GET', `/api/v1/terminal/processes?container=${aliceContainer}`],
      process_output: ['GET', `${p}/output`],
      process_input: ['POST', `${p}/input`, { text: 'x' }],
      process_kill: ['POST', `${p}/kill`, {}],
      terminal_history: ['GET', `/api/v1/terminal/history?container=${aliceContainer}`],
      terminal_list: ['GET', `/api/v1/terminal/sessions?container=${aliceContainer}`],
      terminal_close: ['POST', `/api/v1/terminal/sessions/${aliceTerminal}/close`, {}],
      git_clone: ['POST', `${c}/git/clone`, { url: 'https://example.com/x.git' }],
      git_init: ['POST', `${c}/git/init`, {}],
      git_status: ['GET', `${c}/git/status`],
      git_diff: ['GET', `${c}/git/diff`],
      git_log: ['GET', `${c}/git/log`],
      git_commit: ['POST', `${c}/git/commit`, { message: 'x', all: true }],
      git_push: ['POST', `${c}/git/push`, {}],
      git_pull: ['POST', `${c}/git/pull`, {}],
      git_branch: ['POST', `${c}/git/branch`, { action: 'list' }],
      git_checkout: ['POST', `${c}/git/checkout`, { ref: 'main' }],
      rag_index: ['POST', '/api/v1/rag/index', { container: aliceContainer }],
      rag_search: ['POST', '/api/v1/rag/search', { container: aliceContainer, query: 'zanzibar' }],
      ports_list: ['GET', `${c}/ports`],
      workbench_open: ['POST', `${c}/workbench`, {}],
      preview_open: ['POST', `${c}/ports/3000/preview`, {}],
      preview_share_create: ['POST', `${c}/ports/3000/shares`, {}],
      preview_share_list: ['GET', `/api/v1/previews/shares?container=${aliceContainer}`],
      fetch: ['GET', `/api/v1/fetch?id=${encodeURIComponent(`${aliceContainer}/a.txt`)}`],
      ...browserCalls(`/api/v1/computer-use/${aliceContainer}`),
    };
    const reachesOwned = (op: Op) =>
      (/:(container|id)\b/.test(op.path) && /^\/(containers|terminal)\//.test(op.path)) ||
      'container' in op.input.shape ||
      op.name === 'fetch';
    // A new op that reaches something owned must be added above (and one that no longer does, removed).
    const owned = (OPS as unknown as Op[]).filter(reachesOwned).map((op) => op.name);
    expect(owned.sort()).toEqual(Object.keys(calls).sort());
    for (const [name, [method, path, body]] of Object.entries(calls)) {
      const res = await as('bob', method, path, body);
      expect(res.status, name).toBe(404);
      expect(res.body.error.code, name).toBe('not_found');
      expect(res.body.error.message, name).not.toMatch(/^route /);
    }
    const stream = await as('bob', 'GET', `/api/v1/terminal/stream?processId=${aliceProcess}`);
    expect(stream.status).toBe(404);
    // Lists and searches across Bob's things do not include Alice's.
    expect((await as('bob', 'GET', '/api/v1/terminal/sessions')).body.terminals).toEqual([]);
    expect((await as('bob', 'GET', '/api/v1/search?query=zanzibar')).body.results).toEqual([]);
    // Nothing of Alice's was touched: her process and terminal still run, her file is where it was.
    const procs = await as('alice', 'GET', `/api/v1/terminal/processes?container=${aliceContainer}`);
    expect(procs.body.processes.find((x: Json) => x.id === aliceProcess)).toMatchObject({ status: 'running' });
    const terms = await as('alice', 'GET', `/api/v1/terminal/sessions?container=${aliceContainer}`);
    expect(terms.body.terminals.find((x: Json) => x.id === aliceTerminal)).toMatchObject({ running: true });
    expect((await as('alice', 'GET', `/api/v1/search?query=zanzibar`)).body.results).toHaveLength(1);
  });

  it("cannot attach, type into, resize or close another user's terminal, nor open one in their container", async () => {
    const bob = await TerminalProbe.connect(t.url, tokens.bob as string);
    try {
      const codes = await Promise.all([
        bob.client.attach(aliceTerminal).catch((e: TerminalError) => e),
        bob.client.input(aliceTerminal, 'echo bob-was-here\r').catch((e: TerminalError) => e),
        bob.client.resize(aliceTerminal, 100, 30).catch((e: TerminalError) => e),
        bob.client.close(aliceTerminal).catch((e: TerminalError) => e),
        bob.client.open({ container: aliceContainer }).catch((e: TerminalError) => e),
      ]);
      for (const e of codes) {
        expect(e).toBeInstanceOf(TerminalError);
        expect((e as TerminalError).code).toBe('not_found');
      }
      expect(bob.out.size).toBe(0);
    } finally {
      bob.close();
    }
    // Alice's terminal is still hers, running, and saw nothing typed by Bob.
    const again = await (aliceSocket as TerminalProbe).client.attach(aliceTerminal, 0);
    expect(again.terminal.running).toBe(true);
    expect(again.data).not.toContain('bob-was-here');
  });

  it("cannot use another user's container over MCP either", async () => {
    const client = new Client({ name: 'bob', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${t.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${tokens.bob}` } },
      }),
    );
    for (const [name, args] of [
      ['file_read', { container: aliceContainer, path: 'a.txt' }],
      ['exec', { container: aliceContainer, command: ['true'] }],
      ['process_kill', { id: aliceProcess }],
    ] as const) {
      const res = await client.callTool({ name, arguments: args });
      expect(res.isError, name).toBe(true);
      const text = (res.content as Array<{ text: string }>)[0]?.text ?? '';
      expect(JSON.parse(text).error.code, name).toBe('not_found');
    }
    await client.close();
  });

  it("cannot revoke another user's token, nor list users or the audit log", async () => {
    const pat = await as('alice', 'POST', '/api/v1/tokens', { name: 'ci' });
    expect(pat.status).toBe(201);
    expect((await as('bob', 'DELETE', `/api/v1/tokens/${pat.body.id}`)).status).toBe(404);
    expect((await as('bob', 'GET', '/api/v1/tokens')).body.tokens).toEqual([]);
    expect((await as('bob', 'GET', '/api/v1/users')).status).toBe(403);
    expect((await as('bob', 'GET', '/api/v1/audit')).status).toBe(403);
  });

  it("does not let one user continue another user's MCP session", async () => {
    const client = new Client({ name: 'alice', version: '1' });
    const transport = new StreamableHTTPClientTransport(new URL(`${t.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${tokens.alice}` } },
    });
    await client.connect(transport);
    const session = transport.sessionId as string;
    const res = await fetch(`${t.url}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tokens.bob}`,
        'mcp-session-id': session,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'container_list', arguments: {} },
      }),
    });
    expect(res.status).toBe(404);
    await client.close();
  });
});

/** Every computer-use op against one container (each starts by looking the container up). */
function browserCalls(b: string): Record<string, [string, string, unknown?]> {
  return {
    browser_navigate: ['POST', `${b}/navigate`, { url: '3000' }],
    browser_snapshot: ['GET', `${b}/snapshot`],
    browser_click: ['POST', `${b}/click`, { ref: 'e1' }],
    browser_type: ['POST', `${b}/type`, { ref: 'e1', text: 'x' }],
    browser_press: ['POST', `${b}/press`, { keys: 'Enter' }],
    browser_select: ['POST', `${b}/select`, { ref: 'e1', values: ['a'] }],
    browser_hover: ['POST', `${b}/hover`, { ref: 'e1' }],
    browser_scroll: ['POST', `${b}/scroll`, { dy: 100 }],
    browser_wait_for: ['POST', `${b}/wait`, { text: 'x' }],
    browser_screenshot: ['GET', `${b}/screenshot`],
    browser_screenshot_get: ['GET', `${b}/screenshots/abc`],
    computer_action: ['POST', `${b}/actions`, { actions: [{ type: 'wait', ms: 1 }] }],
    browser_console: ['GET', `${b}/console`],
    browser_network: ['GET', `${b}/network`],
    browser_close: ['DELETE', `${b}/sessions/default`],
  };
}

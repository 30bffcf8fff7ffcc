import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TerminalClient, type TerminalError } from '../../src/cli/terminal-client.js';
import { OPS } from '../../src/daemon/ops/index.js';
import { type Op, pathParams, SCOPES } from '../../src/daemon/ops/op.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
type Json = any;
const ops = OPS as unknown as readonly Op[];
const scoped = ops.filter((op) => op.scope !== null);

/** The REST URL of an op with plausible path values (the scope check comes before any lookup). */
const urlOf = (op: Op) => `/api/v1${pathParams(op).reduce((p, name) => p.replace(`:${name}`, `x-${name}`), op.path)}`;

describe('scope enforcement, generated from the registry', () => {
  let t: TestDaemon;
  /** A personal access token for every scope-set the matrix needs. */
  const pats = new Map<string, string>();
  const patFor = async (scopes: string[]) => {
    const key = scopes.join(' ');
    if (!pats.has(key)) {
      const res = await t.json('POST', '/api/v1/tokens', { name: `m${pats.size}`, scopes });
      expect(res.status).toBe(201);
      pats.set(key, res.body.token);
    }
    return pats.get(key) as string;
  };
  const allBut = (scope: string) => SCOPES.filter((s) => s !== scope && s !== 'admin');

  beforeAll(async () => {
    t = await startTestDaemon();
  });
  afterAll(() => t.stop());

  it('covers every op that needs a scope', () => {
    expect(scoped.length).toBeGreaterThan(30);
    for (const op of scoped) expect(SCOPES).toContain(op.scope);
  });

  it.each(scoped.map((op) => [op.name, op] as const))(
    'REST: %s is refused without its scope, and not refused with it',
    async (_name, op) => {
      const scope = op.scope as string;
      const send = async (token: string) => {
        const body = op.method === 'GET' || op.method === 'DELETE' ? undefined : '{}';
        const res = await fetch(`${t.url}${urlOf(op)}`, {
          method: op.method,
          headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
          ...(body ? { body } : {}),
        });
        return { status: res.status, body: (await res.json().catch(() => ({}))) as Json };
      };
      const without = await send(await patFor(allBut(scope)));
      expect(without.status).toBe(403);
      expect(without.body.error.code).toBe('forbidden');
      expect(without.body.error.message).toContain(`'${scope}'`);
      if (scope !== 'admin') {
        const withIt = await send(await patFor([scope]));
        expect(withIt.body.error?.code).not.toBe('forbidden');
      }
    },
  );

  it('MCP: every scoped tool is an isError forbidden result without its scope, and not refused with it', async () => {
    const connect = async (scopes: string[]) => {
      const client = new Client({ name: 'scope-matrix', version: '1' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${t.url}/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${await patFor(scopes)}` } },
        }),
      );
      return client;
    };
    const codeOf = (res: Awaited<ReturnType<Client['callTool']>>) => {
      const text = (res.content as Array<{ text: string }>)[0]?.text ?? '';
      return res.isError ? (JSON.parse(text).error.code as string) : undefined;
    };
    for (const scope of SCOPES) {
      const ops = scoped.filter((o) => o.scope === scope);
      const without = await connect(allBut(scope));
      for (const op of ops) {
        const res = await without.callTool({ name: op.name, arguments: {} });
        expect(res.isError, op.name).toBe(true);
        expect(codeOf(res), op.name).toBe('forbidden');
      }
      await without.close();
      if (scope === 'admin') continue;
      const only = await connect([scope]);
      for (const op of ops) {
        expect(codeOf(await only.callTool({ name: op.name, arguments: {} })), op.name).not.toBe('forbidden');
      }
      // Ops that need no scope answer any signed-in caller.
      expect((await only.callTool({ name: 'auth_me', arguments: {} })).isError, scope).toBeFalsy();
      await only.close();
    }
  });

  it('terminal socket: needs the exec scope', async () => {
    const refused = await TerminalClient.connect(t.url, await patFor(allBut('exec')), { reconnection: false }).catch(
      (e: TerminalError) => e,
    );
    expect(refused).toMatchObject({ code: 'forbidden' });
    const client = await TerminalClient.connect(t.url, await patFor(['exec']), { reconnection: false });
    // Connected: a request for a terminal that is not there is answered, not refused.
    expect(await client.attach('term_nope').catch((e: TerminalError) => e.code)).toBe('not_found');
    client.disconnect();
  });

  it('answers nothing but public routes without a token, pointing 401s at the resource metadata', async () => {
    for (const op of ops) {
      const res = await fetch(`${t.url}${urlOf(op)}`, { method: op.method });
      expect(res.status, op.name).toBe(401);
      expect(res.headers.get('www-authenticate'), op.name).toContain('resource_metadata="');
    }
    // Routes that are not ops: the process output stream.
    const stream = await fetch(`${t.url}/api/v1/terminal/stream?processId=proc_x`);
    expect(stream.status).toBe(401);
    expect(stream.headers.get('www-authenticate')).toContain('resource_metadata="');
    const mcp = await fetch(`${t.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(mcp.status).toBe(401);
    expect(mcp.headers.get('www-authenticate')).toContain(
      `resource_metadata="${t.url}/.well-known/oauth-protected-resource/mcp"`,
    );
    for (const open of [
      '/health',
      '/openapi.json',
      '/docs/',
      '/.well-known/oauth-authorization-server',
      '/.well-known/oauth-protected-resource/mcp',
    ]) {
      expect((await fetch(`${t.url}${open}`)).status, open).toBe(200);
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SESSIONS_PER_USER, sessionsOverBound } from '../../src/mcp/http.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

let t: TestDaemon;
beforeAll(async () => {
  t = await startTestDaemon();
});
afterAll(() => t.stop());

const VERSION = '2025-11-25';

async function post(body: unknown, session?: string) {
  return fetch(`${t.url}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${t.token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(session ? { 'mcp-session-id': session, 'mcp-protocol-version': VERSION } : {}),
    },
    body: JSON.stringify(body),
  });
}

async function openSession(): Promise<string> {
  const res = await post({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: 'bound', version: '1' } },
  });
  await res.text();
  const session = res.headers.get('mcp-session-id') ?? '';
  await (await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, session)).text();
  return session;
}

const ping = async (session: string) => {
  const res = await post({ jsonrpc: '2.0', id: 2, method: 'ping' }, session);
  await res.text();
  return res.status;
};

describe('open MCP sessions per user', () => {
  it('never exceed their bound: one more closes the least recently used', async () => {
    const first = await openSession();
    const second = await openSession();
    for (let i = 2; i < MAX_SESSIONS_PER_USER; i++) await openSession();
    expect(await ping(first)).toBe(200); // now the most recently used; `second` is the oldest
    const newest = await openSession();
    expect(await ping(second)).toBe(404);
    expect(await ping(first)).toBe(200);
    expect(await ping(newest)).toBe(200);
  }, 120_000);

  it('picks the least recently used sessions of that user only', () => {
    const sessions = new Map([
      ['a1', { userId: 'a', lastSeen: 3 }],
      ['b1', { userId: 'b', lastSeen: 1 }],
      ['a2', { userId: 'a', lastSeen: 2 }],
      ['a3', { userId: 'a', lastSeen: 5 }],
    ]);
    expect(sessionsOverBound(sessions, 'a', 2)).toEqual(['a2']);
    expect(sessionsOverBound(sessions, 'a', 3)).toEqual([]);
    expect(sessionsOverBound(sessions, 'b', 0)).toEqual(['b1']);
  });
});

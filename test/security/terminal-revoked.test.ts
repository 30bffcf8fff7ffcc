import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { TerminalProbe } from '../helpers/terminal.js';

/**
 * The attack: a token leaks (a model's PAT, a session), the user revokes it — but whoever holds it opened a
 * terminal connection first. The Socket.IO connection was authenticated once, at its handshake, so it kept
 * opening terminals and typing into them (running any command) for as long as it stayed connected.
 */
describe('a terminal connection whose token is revoked', () => {
  let t: TestDaemon;
  let container: string;

  beforeAll(async () => {
    t = await startTestDaemon({ DISCO_SANDBOX: 'auto' });
    container = (await t.json('POST', '/api/v1/containers', { name: 'revoked-term' })).body.id;
  });
  afterAll(() => t?.stop());

  const revokedAfterConnect = async (revoke: (pat: { id: string; token: string }) => Promise<void>) => {
    const pat = (await t.json('POST', '/api/v1/tokens', { name: `term-${Date.now()}`, scopes: ['exec'] })).body;
    const p = await TerminalProbe.connect(t.url, pat.token);
    const first = await p.client.open({ container });
    const id = first.terminal.id as string;
    await p.client.input(id, 'echo "before=$((20+1))"\r');
    await p.waitFor(id, /before=21/);
    await revoke(pat);
    return { p, id };
  };

  it('can neither open a terminal nor type into one once its PAT is revoked', async () => {
    const { p, id } = await revokedAfterConnect(async (pat) => {
      expect((await t.json('DELETE', `/api/v1/tokens/${pat.id}`)).status).toBe(200);
    });
    try {
      await expect(p.client.open({ container })).rejects.toThrow();
      const mark = p.length(id);
      // Refused, or never answered once the connection has been ended: either way nothing runs.
      void p.client.input(id, 'echo "after=$((40+2))"\r').catch(() => undefined);
      await new Promise((r) => setTimeout(r, 1_000));
      expect((p.out.get(id) ?? '').slice(mark)).not.toContain('after=42');
      // The terminal itself is the user's and goes on: the owner still reaches it.
      const owner = await TerminalProbe.connect(t.url, t.token);
      try {
        const again = await owner.client.attach(id);
        expect(again.terminal.running).toBe(true);
        await owner.client.input(id, 'echo "owner=$((40+3))"\r');
        await owner.waitFor(id, /owner=43/);
      } finally {
        owner.close();
      }
    } finally {
      p.close();
    }
  }, 60_000);

  it('ends with the session it was opened with (a session made from a PAT, the PAT revoked)', async () => {
    const pat = (await t.json('POST', '/api/v1/tokens', { name: 'term-session', scopes: ['exec'] })).body;
    const session = await fetch(`${t.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: pat.token }),
    });
    const { accessToken } = (await session.json()) as { accessToken: string };
    const p = await TerminalProbe.connect(t.url, accessToken);
    try {
      const { terminal } = await p.client.open({ container });
      await p.client.input(terminal.id, 'echo "live=$((30+3))"\r');
      await p.waitFor(terminal.id, /live=33/);
      expect((await t.json('DELETE', `/api/v1/tokens/${pat.id}`)).status).toBe(200);
      await expect(p.client.open({ container })).rejects.toThrow();
    } finally {
      p.close();
    }
  }, 60_000);
  it('ends an output stream (SSE) whose PAT is revoked; the process goes on', async () => {
    const pat = (await t.json('POST', '/api/v1/tokens', { name: 'stream-reader', scopes: ['exec'] })).body;
    const started = await t.json('POST', '/api/v1/terminal/execute', {
      container,
      command: 'for i in $(seq 1 100); do echo "tick-$i"; sleep 0.1; done',
      shell: true,
      background: true,
    });
    const res = await fetch(`${t.url}/api/v1/terminal/stream?processId=${started.body.processId}`, {
      headers: { authorization: `Bearer ${pat.token}` },
    });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('tick-2')) text += decoder.decode((await reader.read()).value);
    expect((await t.json('DELETE', `/api/v1/tokens/${pat.id}`)).status).toBe(200);
    const revokedAt = Date.now();
    let after = '';
    for (;;) {
      const chunk = await Promise.race([
        reader.read(),
        new Promise<{ done: true; value: undefined }>((r) =>
          setTimeout(() => r({ done: true, value: undefined }), 5_000),
        ),
      ]);
      if (chunk.done) break;
      after += decoder.decode(chunk.value);
      if (Date.now() - revokedAt > 5_000) break;
    }
    await reader.cancel().catch(() => {});
    // At most what was already on its way when the PAT went: no stream of ticks for seconds.
    expect(after.match(/tick-\d+/g)?.length ?? 0).toBeLessThan(10);
    expect(Date.now() - revokedAt).toBeLessThan(4_000);
    expect((await t.json('GET', `/api/v1/terminal/processes/${started.body.processId}/output`)).body.running).toBe(
      true,
    );
    await t.json('POST', `/api/v1/terminal/processes/${started.body.processId}/kill`, { signal: 'SIGKILL' });
  }, 60_000);
});

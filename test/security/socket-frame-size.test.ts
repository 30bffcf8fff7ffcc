import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TerminalClient } from '../../src/cli/terminal-client.js';
import { MAX_JSON_SEPARATORS } from '../../src/daemon/json-members.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { HEALTH_BOUND_MS, LOOP_BOUND_MS, measureAttack } from '../helpers/event-loop.js';

// A terminal socket's frames were parsed with JSON.parse as they came, up to Socket.IO's 1 MiB message
// limit: an `open` with 90,000 keys held the daemon's event loop for ~150 ms, for every user, as often as a
// client sent one. Now such a frame is refused unparsed and its connection closed.
let t: TestDaemon;
let container: string;
beforeAll(async () => {
  t = await startTestDaemon();
  container = (await t.json('POST', '/api/v1/containers', { name: 'tty' })).body.id;
});
afterAll(() => t.stop());

const payload = (keys: number) => ({
  container,
  ...Object.fromEntries(Array.from({ length: keys }, (_, i) => [`k${i}`, 0])),
});

/**
 * Sends `open` with this payload, encoded before the measure (the test shares its event loop with the
 * daemon): a Socket.IO EVENT packet written to the connection as it is. Resolves with how the connection
 * ended, or `open` when it was still open a while after.
 */
async function openWith(body: Record<string, unknown>): Promise<string> {
  const frame = `2/terminals,7${JSON.stringify(['open', body])}`;
  const client = await TerminalClient.connect(t.url, t.token, { reconnection: false });
  try {
    return await new Promise((resolve) => {
      const timer = setTimeout(() => resolve('open'), 2_000);
      client.socket.once('disconnect', (reason) => {
        clearTimeout(timer);
        resolve(reason);
      });
      client.socket.io.engine.write(frame);
    });
  } finally {
    client.disconnect();
  }
}

describe('a terminal socket frame cannot pin the event loop', { timeout: 120_000 }, () => {
  it('closes the connection of a frame with too many members, without parsing it', async () => {
    const big = payload(90_000);
    const cost = await measureAttack(t.url, () => openWith(big));
    expect(cost.result).toBe('transport close');
    expect(cost.loopMaxMs).toBeLessThan(LOOP_BOUND_MS);
    expect(cost.healthMaxMs).toBeLessThan(HEALTH_BOUND_MS);
  });

  it('still answers frames under the bound, and the daemon keeps serving', async () => {
    expect(await openWith(payload(MAX_JSON_SEPARATORS / 4))).toBe('open');
    const client = await TerminalClient.connect(t.url, t.token, { reconnection: false });
    try {
      const opened = await client.open({ container, command: ['sh', '-c', 'echo hi'] });
      expect(opened.terminal.id).toMatch(/^term_/);
    } finally {
      client.disconnect();
    }
  });
});

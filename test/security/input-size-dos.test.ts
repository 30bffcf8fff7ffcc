import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ARGV_CHARS } from '../../src/contracts/exec.js';
import { MAX_INPUT_KEYS } from '../../src/daemon/ops/input.js';
import { CommandPolicy } from '../../src/daemon/workspace/command-policy.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { HEALTH_BOUND_MS, LOOP_BOUND_MS, measureAttack } from '../helpers/event-loop.js';
import { mcpPostHeaders } from '../helpers/mcp.js';

// One exec request, well under the body limit, that held the event loop for seconds: zod validates every
// entry of a record or array before it checks their number (~5 µs a key: 200,000 `env` variables in 2.4 MB),
// and the deny-list's dd pattern cost ~170 ns a character on an argv without separators (9,000 arguments
// of 600 characters: ~1 s, before the kernel refused the argv anyway).
let t: TestDaemon;
beforeAll(async () => {
  t = await startTestDaemon();
  await t.json('POST', '/api/v1/containers', { name: 'run' });
});
afterAll(() => t.stop());

const variables = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`V${i}`, '']));
const manyVariables = variables(200_000);
const attacks: [string, Record<string, unknown>, RegExp][] = [
  ['200,000 env variables', { command: ['true'], env: manyVariables }, /more than 20000 members and items/],
  ['5,000 env variables', { command: ['true'], env: variables(5_000) }, /env: at most 1000 keys/],
  [
    'an argv of 9,000 arguments of 600 characters',
    { command: ['echo', ...Array(9_000).fill('x'.repeat(600))] },
    /the arguments together may be at most/,
  ],
];

describe('one exec request cannot pin the event loop with a huge input', { timeout: 180_000 }, () => {
  for (const [label, input, refusal] of attacks) {
    it(`refuses ${label} without blocking /health`, async () => {
      // Serialised before the measure: the test shares its event loop with the daemon.
      const body = JSON.stringify({ container: 'run', ...input });
      const cost = await measureAttack(t.url, async () => {
        const res = await t.request('POST', '/api/v1/terminal/execute', { body });
        return { status: res.status, body: (await res.json()) as { error: { code: string; message: string } } };
      });
      expect(cost.result.status).toBe(400);
      expect(cost.result.body.error.code).toBe('validation_failed');
      expect(cost.result.body.error.message).toMatch(refusal);
      expect(cost.loopMaxMs).toBeLessThan(LOOP_BOUND_MS);
      expect(cost.healthMaxMs).toBeLessThan(HEALTH_BOUND_MS);
    });
  }

  it('refuses the same body on /mcp without blocking /health', async () => {
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'exec', arguments: { container: 'run', command: ['true'], env: manyVariables } },
    });
    const cost = await measureAttack(t.url, async () => {
      const res = await fetch(`${t.url}/mcp`, {
        method: 'POST',
        headers: mcpPostHeaders(t.token),
        body,
      });
      return { status: res.status, text: await res.text() };
    });
    expect(cost.result.status).toBe(400);
    expect(cost.result.text).toMatch(/more than 20000 members/);
    expect(cost.loopMaxMs).toBeLessThan(LOOP_BOUND_MS);
    expect(cost.healthMaxMs).toBeLessThan(HEALTH_BOUND_MS);
  });

  it('still runs commands at the bounds', async () => {
    const env = Object.fromEntries(Array.from({ length: MAX_INPUT_KEYS - 1 }, (_, i) => [`V${i}`, 'x']));
    const r = await t.json('POST', '/api/v1/terminal/execute', {
      container: 'run',
      command: ['sh', '-c', 'echo "$V998" "$#"; printf %s "$3" | wc -c', 'sh', ...Array(3).fill('y'.repeat(80_000))],
      env: { ...env, V998: 'last' },
    });
    expect(r.status).toBe(200);
    expect(r.body.stdout).toMatch(/^last 3\n\s*80000\n$/);
    const over = await t.json('POST', '/api/v1/terminal/execute', {
      container: 'run',
      command: ['echo', ...Array(3).fill('y'.repeat(Math.ceil(MAX_ARGV_CHARS / 3)))],
    });
    expect(over.status).toBe(400);
  });

  it('checks a long command line against the dd rule in linear time, and the rule still holds', () => {
    const policy = new CommandPolicy({ mode: 'deny-list', deny: [], allow: [] });
    // Best of five, as the event-loop probes count (a loaded machine preempts a run now and then).
    const argv = ['echo', ...Array(9_000).fill('x'.repeat(600))];
    const line = `${'dd;'.repeat(30_000)}x`;
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 5 && best >= LOOP_BOUND_MS; i++) {
      const t0 = performance.now();
      policy.check(argv, false);
      policy.check(line, true);
      best = Math.min(best, performance.now() - t0);
    }
    expect(best).toBeLessThan(LOOP_BOUND_MS);
    for (const line of ['dd if=/dev/zero of=/dev/sda', 'x; dd bs=1 of=/dev/nvme0n1', 'a | dd x | dd of=/dev/sdb']) {
      expect(() => policy.check(line, true), line).toThrow(/refuses/);
    }
    for (const line of ['dd if=a of=/tmp/b', 'dd if=a; x of=/dev/sda', 'xdd of=/dev/sda', 'tee of=/dev/sda']) {
      expect(() => policy.check(line, true), line).not.toThrow();
    }
  });
});

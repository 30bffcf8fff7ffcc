import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandPolicy } from '../../src/daemon/workspace/command-policy.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { HEALTH_BOUND_MS, LOOP_BOUND_MS, measureAttack } from '../helpers/event-loop.js';

// Every command line runs through the default deny-list before it starts. Two of its patterns used to
// backtrack quadratically: 12 KB of `-r ` after `rm` took ~1.5 s, 12 KB of `dd ` ~0.7 s (100 KB: minutes).
let t: TestDaemon;
beforeAll(async () => {
  t = await startTestDaemon();
  await t.json('POST', '/api/v1/containers', { name: 'run' });
});
afterAll(() => t.stop());

const WORDS = 4000;
const attacks: [string, string[]][] = [
  ['rm followed by thousands of -r flags', ['echo', 'rm', ...Array(WORDS).fill('-r'), 'x']],
  ['one rm flag thousands of letters long', ['echo', 'rm', `-${'r'.repeat(WORDS * 3)}`, 'x']],
  ['thousands of dd words', ['echo', ...Array(WORDS).fill('dd')]],
  ['thousands of dd of= words', ['echo', ...Array(WORDS / 4).fill('dd of=/dev/x')]],
];

describe('the command deny-list cannot pin the event loop (ReDoS)', { timeout: 120_000 }, () => {
  for (const [label, command] of attacks) {
    it(`runs a command line of ${label} without blocking /health`, async () => {
      const cost = await measureAttack(t.url, () =>
        t.json('POST', '/api/v1/terminal/execute', { container: 'run', command }),
      );
      expect(cost.result.status).toBe(200);
      expect(cost.result.body.exitCode).toBe(0);
      expect(cost.loopMaxMs).toBeLessThan(LOOP_BOUND_MS);
      expect(cost.healthMaxMs).toBeLessThan(HEALTH_BOUND_MS);
    });
  }

  // Linear, not a wall-clock bound (2-core CI machines are noisy): the cost of a line 8× longer is compared
  // with the cost of the shorter one in the same run. Linear work grows ~8×; the old patterns grew ~64×.
  it('checks a 100 KB command line against every default rule in time linear in its length', () => {
    const policy = new CommandPolicy({ mode: 'deny-list', deny: [], allow: [] });
    const best = (line: string): number => {
      let min = Number.POSITIVE_INFINITY;
      for (let i = 0; i < 7; i++) {
        const t0 = performance.now();
        policy.check(line, true);
        min = Math.min(min, performance.now() - t0);
      }
      return Math.max(min, 0.05);
    };
    const shapes: ((n: number) => string)[] = [
      (n) => `rm ${'-r '.repeat(n)}x`,
      (n) => 'dd '.repeat(n),
      (n) => 'x of=/dev/sda '.repeat(Math.ceil(n / 5)),
    ];
    for (const shape of shapes) {
      const small = best(shape(4_000));
      const large = best(shape(32_000));
      expect(large / small, shape(2)).toBeLessThan(24);
    }
  });

  it('still refuses what the rules are for', () => {
    const policy = new CommandPolicy({ mode: 'deny-list', deny: [], allow: [] });
    for (const line of [
      'rm -rf /',
      'rm -f -r ~',
      'rm -rf --no-preserve-root /',
      'dd if=/dev/zero of=/dev/sda',
      'x; dd bs=1 of=/dev/nvme0n1',
    ]) {
      expect(() => policy.check(line, true), line).toThrow(/refuses/);
    }
    for (const line of ['rm -rf ./dist', 'dd if=a of=/tmp/b', 'rm -f /', 'tee of=/dev/sda']) {
      expect(() => policy.check(line, true), line).not.toThrow();
    }
  });
});

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { HEALTH_BOUND_MS, LOOP_BOUND_MS, measureAttack } from '../helpers/event-loop.js';

// The budget is 50 ms per request; the backtracking matcher took ~2 s per file for eight stars on a
// 36-character name. See test/helpers/event-loop.ts for how the block is measured.
let t: TestDaemon;
const F = '/api/v1/containers/ws/files';
const NAME = 'a'.repeat(36);

beforeAll(async () => {
  t = await startTestDaemon();
  const c = (await t.json('POST', '/api/v1/containers', { name: 'ws' })).body;
  const root = path.join(t.home, 'containers', c.id);
  await writeFile(path.join(root, NAME), 'x\n');
  const deep = path.join(root, ...Array.from({ length: 30 }, () => 'aa'));
  await mkdir(deep, { recursive: true });
  await writeFile(path.join(deep, NAME), 'x\n');
  await t.json('POST', `${F}/search`, { path: '.', glob: '*.warm-up' });
});
afterAll(() => t.stop());

const underAttack = (body: Record<string, unknown>) => measureAttack(t.url, () => t.json('POST', `${F}/search`, body));

describe('glob matching cannot pin the event loop (ReDoS)', { timeout: 120_000 }, () => {
  const attacks: [string, string][] = [
    ['eight stars against a 36-character name', `${'*a'.repeat(8)}*b`],
    ['a globstar prefix and eight stars', `**/${'*a'.repeat(8)}*b`],
    ['question marks and stars', `${'?*a'.repeat(9)}*b`],
    ['braces between stars', `${'*{a,aa}'.repeat(5)}*b`],
    ['globstars between every segment', `${'**/a*a*'.repeat(6)}b`],
  ];

  for (const [label, glob] of attacks) {
    it(`answers ${label} without blocking /health`, async () => {
      const { result: res, loopMaxMs, healthMaxMs } = await underAttack({ path: '.', glob });
      expect(res.status).toBe(200);
      expect(res.body.matches).toEqual([]);
      expect(loopMaxMs).toBeLessThan(LOOP_BOUND_MS);
      expect(healthMaxMs).toBeLessThan(HEALTH_BOUND_MS);
    });
  }

  it('still finds the file with a glob that matches it, and with a query', async () => {
    const named = await t.json('POST', `${F}/search`, { path: '.', glob: `${'*a'.repeat(8)}*` });
    expect(named.body.matches.map((m: { path: string }) => m.path)).toContain(NAME);
    expect(named.body.matches).toHaveLength(2);
    const deep = await t.json('POST', `${F}/search`, { path: '.', glob: `aa/**/${NAME}`, query: 'x' });
    expect(deep.body.matches).toHaveLength(1);
    expect(deep.body.matches[0]).toMatchObject({ line: 1, text: 'x' });
  });
});
